import { checkAllowedSigners, parseAllowedSigners, type AllowedSigner } from '../allowed-signers';
import { deviceAllowedSignersLine } from '../auth/devices';
import { parseNoteLine, statementFor } from '../notes/line';
import type { TrustedPolicy } from '../policy/trusted';
import { parsePublicKeyText } from '../ssh/public-key';
import { verifySshSig } from '../sshsig';
import { statementBytes } from '../statement/statement';
import type { CredentialRow } from '../store/credentials';

/** Is this passkey listed for this person in the repository's trusted allowed_signers (now, for the policy's namespace)? */
export function keyTrusted(trusted: Pick<TrustedPolicy, 'policy' | 'allowedSigners'>, email: string, sshKey: string, now = new Date()): boolean {
  return checkAllowedSigners(trusted.allowedSigners, { key: parsePublicKeyText(sshKey), identity: email, namespace: trusted.policy.namespace, now }).ok;
}

/** The user's own keys as allowed signers (any namespace), to recognise their lines whatever the repository trusts. */
export function ownSigners(email: string, creds: CredentialRow[]): AllowedSigner[] {
  if (creds.length === 0) return [];
  return parseAllowedSigners(creds.map((c) => deviceAllowedSignersLine(email, c.sshKey).replace(/ namespaces="[^"]*"/, '')).join('\n') + '\n', 'enrolled keys');
}

/**
 * The note lines (of one commit) that `email` made with one of `creds` for `verdict`: they verify
 * against that user's own enrolled keys, whether or not the repository trusts those keys.
 */
export function linesBy(
  lines: string[],
  ctx: { repository: string; commit: string; tree: string; namespace: string },
  email: string,
  creds: CredentialRow[],
  verdict?: string,
): { line: string; fingerprint: string }[] {
  const signers = ownSigners(email, creds);
  if (signers.length === 0) return [];
  const out: { line: string; fingerprint: string }[] = [];
  for (const line of lines) {
    let parsed;
    try {
      parsed = parseNoteLine(line);
    } catch {
      continue;
    }
    if (parsed.signer !== email || (verdict && parsed.verdict !== verdict)) continue;
    try {
      const r = verifySshSig({
        signature: parsed.signature,
        message: statementBytes(statementFor(parsed, ctx)),
        namespace: ctx.namespace,
        allowedSigners: signers,
        identity: email,
      });
      if (r.ok) out.push({ line, fingerprint: r.fingerprint });
    } catch {
      /* not theirs */
    }
  }
  return out;
}
