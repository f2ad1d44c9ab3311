import { principalMatches, type AllowedSigner } from '../allowed-signers';
import { splitSignedCommit, type CommitInfo } from '../git/commit';
import { publicKeysEqual } from '../ssh/public-key';
import { ARMOR_BEGIN, checkSshSig, dearmorSshSig } from '../sshsig';

/** The SSHSIG namespace git signs commits under (`git commit -S` with gpg.format=ssh). */
export const GIT_NAMESPACE = 'git';

export type CommitSignatureCheck =
  | { ok: true; principal: string; fingerprint: string; signer: AllowedSigner }
  | { ok: false; reason: string };

const HOW_TO_SIGN =
  'sign it with an SSH key listed in .countersign/allowed_signers (git config gpg.format ssh; git config user.signingkey KEY; git commit -S)';

/**
 * Does this commit carry an SSH commit signature by a key the trusted allowed_signers lists?
 * The signature is checked in-process exactly as `git verify-commit` has ssh-keygen check it: over
 * the commit object without its signature header (splitSignedCommit), namespace `git`. The key
 * must be on a plain (not cert-authority) line that permits namespace `git` and is valid `now`.
 * Who signed is that line's first principal: the person the gate then excludes.
 */
export function checkCommitSignature(raw: Uint8Array, info: Pick<CommitInfo, 'id' | 'objectFormat'>, allowedSigners: readonly AllowedSigner[], now: Date): CommitSignatureCheck {
  const { payload, signature } = splitSignedCommit(raw, info.objectFormat);
  if (!signature) return { ok: false, reason: `has no commit signature; ${HOW_TO_SIGN}` };
  if (!signature.subarray(0, ARMOR_BEGIN.length).equals(Buffer.from(ARMOR_BEGIN))) {
    return { ok: false, reason: `is signed, but not with an SSH key (an OpenPGP or X.509 signature); ${HOW_TO_SIGN}` };
  }
  let sig: Uint8Array;
  try {
    sig = dearmorSshSig(signature);
  } catch (e) {
    return { ok: false, reason: `has an unreadable SSH commit signature (${(e as Error).message})` };
  }
  const check = checkSshSig({ signature: sig, message: payload, namespace: GIT_NAMESPACE });
  if (!check.ok) return { ok: false, reason: `has a commit signature that does not verify (${check.reason})` };
  const nowSec = Math.floor(now.getTime() / 1000);
  const line = allowedSigners.find(
    (s) =>
      !s.certAuthority &&
      publicKeysEqual(s.key, check.key) &&
      (s.namespaces === undefined || principalMatches(GIT_NAMESPACE, s.namespaces)) &&
      (s.validAfter === undefined || nowSec >= s.validAfter) &&
      (s.validBefore === undefined || nowSec <= s.validBefore),
  );
  if (!line) {
    return {
      ok: false,
      reason: `is signed by key ${check.fingerprint}, which .countersign/allowed_signers does not list for namespace "git" (now); ${HOW_TO_SIGN}`,
    };
  }
  const principal = line.principals.split(',').find((p) => p.length > 0 && !p.startsWith('!')) ?? line.principals;
  return { ok: true, principal, fingerprint: check.fingerprint, signer: line };
}
