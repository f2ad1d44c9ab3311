import { fingerprintSha256, publicKeysEqual, type SshPublicKey } from '../ssh/public-key';
import { formatAbsoluteTimeUtc } from './time';
import { principalMatches } from './match';
import type { AllowedSigner } from './parse';

export type SignerFailure = 'not-allowed' | 'expired' | 'not-yet-valid';

export type SignerCheck =
  | { ok: true; signer: AllowedSigner }
  | { ok: false; failure: SignerFailure; reason: string };

/**
 * sshsig_check_allowed_keys: walk the entries in order and accept the first one whose
 * principal patterns match `identity`, whose key is the signing key, that permits the
 * namespace and whose validity window contains `now`. Entries that fail are skipped, as in
 * OpenSSH; when none succeeds, the most specific reason is reported.
 */
export function checkAllowedSigners(
  signers: readonly AllowedSigner[],
  p: { key: SshPublicKey; identity: string; namespace: string; now?: Date },
): SignerCheck {
  const nowSec = Math.floor((p.now ?? new Date()).getTime() / 1000);
  let principalSeen = false;
  let caOnly = false;
  let specific: { failure: SignerFailure; reason: string } | null = null;
  for (const s of signers) {
    if (!principalMatches(p.identity, s.principals)) continue;
    principalSeen = true;
    if (s.certAuthority) {
      // A cert-authority line vouches for certificates it signed, never for a plain key.
      if (publicKeysEqual(s.key, p.key)) caOnly = true;
      continue;
    }
    if (!publicKeysEqual(s.key, p.key)) continue;
    const where = `${s.source} line ${s.line}`;
    if (s.namespaces !== undefined && !principalMatches(p.namespace, s.namespaces)) {
      specific ??= {
        failure: 'not-allowed',
        reason: `${where}: the key is not permitted for namespace ${JSON.stringify(p.namespace)} (namespaces="${s.namespaces}")`,
      };
      continue;
    }
    if (s.validAfter !== undefined && nowSec < s.validAfter) {
      specific ??= {
        failure: 'not-yet-valid',
        reason: `${where}: the key is not valid yet (valid-after ${formatAbsoluteTimeUtc(s.validAfter)}, now ${formatAbsoluteTimeUtc(nowSec)})`,
      };
      continue;
    }
    if (s.validBefore !== undefined && nowSec > s.validBefore) {
      specific ??= {
        failure: 'expired',
        reason: `${where}: the key has expired (valid-before ${formatAbsoluteTimeUtc(s.validBefore)}, now ${formatAbsoluteTimeUtc(nowSec)})`,
      };
      continue;
    }
    return { ok: true, signer: s };
  }
  if (specific) return { ok: false, ...specific };
  const fp = fingerprintSha256(p.key);
  if (caOnly) {
    return { ok: false, failure: 'not-allowed', reason: `key ${fp} is listed only as a cert-authority for ${JSON.stringify(p.identity)}` };
  }
  if (!principalSeen) {
    const listedAs = principalsForKey(signers, p.key);
    if (listedAs.length > 0) {
      return {
        ok: false,
        failure: 'not-allowed',
        reason: `key ${fp} is listed for ${listedAs.map((x) => JSON.stringify(x)).join(', ')}, not for identity ${JSON.stringify(p.identity)}`,
      };
    }
    return { ok: false, failure: 'not-allowed', reason: `no allowed_signers entry matches identity ${JSON.stringify(p.identity)}` };
  }
  return { ok: false, failure: 'not-allowed', reason: `key ${fp} is not an allowed signer for ${JSON.stringify(p.identity)}` };
}

/** Principal pattern lists (of entries with this key) that a signature by `key` could claim. */
export function principalsForKey(signers: readonly AllowedSigner[], key: SshPublicKey): string[] {
  return signers.filter((s) => !s.certAuthority && publicKeysEqual(s.key, key)).map((s) => s.principals);
}
