import { CountersignError } from '../errors';
import { formatAbsoluteTimeUtc } from '../allowed-signers/time';
import { formatPublicKey, type SshPublicKey } from '../ssh/public-key';

/**
 * One allowed_signers line for a key, e.g.
 *   alice@example.org namespaces="countersign-review@countersign.dev" sk-ecdsa-sha2-nistp256@openssh.com AAAA…
 * Principals and namespaces may not contain whitespace, quotes or backslashes, so the line
 * reads the same in OpenSSH and in parseAllowedSigners.
 */
export function allowedSignersLine(
  principal: string | readonly string[],
  key: SshPublicKey,
  opts: { namespaces?: string | readonly string[]; validAfter?: Date; validBefore?: Date; comment?: string } = {},
): string {
  const principals = typeof principal === 'string' ? [principal] : [...principal];
  const bad = /[\s"\\,#]/;
  if (principals.length === 0 || principals.some((p) => p.length === 0 || bad.test(p) || p.startsWith('!'))) {
    throw new CountersignError('bad-input', 'allowed_signers principals must be non-empty, without spaces, quotes, commas, "#" or a leading "!"');
  }
  const options: string[] = [];
  if (opts.namespaces !== undefined) {
    const ns = typeof opts.namespaces === 'string' ? [opts.namespaces] : [...opts.namespaces];
    if (ns.length === 0 || ns.some((n) => n.length === 0 || /[\s"\\,]/.test(n))) {
      throw new CountersignError('bad-input', 'namespaces must be non-empty, without spaces, quotes or commas');
    }
    options.push(`namespaces="${ns.join(',')}"`);
  }
  const secs = (d: Date) => Math.floor(d.getTime() / 1000);
  if (opts.validAfter) options.push(`valid-after="${formatAbsoluteTimeUtc(secs(opts.validAfter))}"`);
  if (opts.validBefore) options.push(`valid-before="${formatAbsoluteTimeUtc(secs(opts.validBefore))}"`);
  if (opts.validAfter && opts.validBefore && secs(opts.validBefore) <= secs(opts.validAfter)) {
    throw new CountersignError('bad-input', 'valid-before must be after valid-after');
  }
  return [principals.join(','), ...(options.length ? [options.join(',')] : []), formatPublicKey(key, opts.comment)].join(' ');
}
