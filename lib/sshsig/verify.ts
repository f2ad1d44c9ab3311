import { CountersignError } from '../errors';
import { checkAllowedSigners } from '../allowed-signers/check';
import type { AllowedSigner } from '../allowed-signers/parse';
import { fingerprintSha256, publicKeysEqual, type SshPublicKey } from '../ssh/public-key';
import { bytesEqual } from '../ssh/wire';
import { FLAG_UP, FLAG_UV, SIG_WEBAUTHN_SK_ECDSA_P256, verifySignatureBlob } from '../ssh/signature';
import { parseSshSig, type SshSig } from './format';
import { checkNamespace, hashMessage, isHashAlg, signedDataBlobFromHash } from './signed-data';

/**
 * In-process `ssh-keygen -Y verify`: the same checks in the same order as OpenSSH 9.2
 * (sshsig.c sshsig_verify_fd + sshsig_check_allowed_keys), so the verdict is the same,
 * plus opt-in policy that stock OpenSSH does not apply (user presence / verification flags,
 * allowed WebAuthn origins).
 */
export type VerifyFailure =
  | 'malformed'
  | 'namespace'
  | 'signature'
  | 'not-allowed'
  | 'expired'
  | 'not-yet-valid'
  | 'user-presence'
  | 'user-verification'
  | 'origin'
  | 'unsupported';

/** What a good signature tells about itself; checkSshSig and verifySshSig both report it. */
interface GoodSignature {
  ok: true;
  key: SshPublicKey;
  fingerprint: string;
  /** The inner signature type, e.g. webauthn-sk-ecdsa-sha2-nistp256@openssh.com. */
  signatureType: string;
  /** Security keys and passkeys: authenticator flags and signature counter. */
  flags?: number;
  counter?: number;
  /** Passkeys: the origin the browser reported. */
  origin?: string;
}

/** Why a signature is refused; key and fingerprint once the signing key could be read. */
interface Refusal {
  ok: false;
  failure: VerifyFailure;
  reason: string;
  key?: SshPublicKey;
  fingerprint?: string;
}

export type VerifyResult =
  | (GoodSignature & {
      /** verifySshSig: the allowed_signers entry that accepted the signature. */
      signer?: AllowedSigner;
    })
  | Refusal;

export interface PolicyOptions {
  /** Require the UP flag (0x01). Applies to security-key and passkey signatures; plain keys carry no flags. */
  requireUserPresence?: boolean;
  /** Require the UV flag (0x04): the authenticator checked a PIN or biometric. Same scope as above. */
  requireUserVerification?: boolean;
  /** Accept passkey signatures only from these origins (exact match, e.g. https://sign.example.org). */
  origins?: readonly string[];
}

export interface VerifyInput extends PolicyOptions {
  /** Binary SSHSIG (dearmorSshSig an armored one first). */
  signature: Uint8Array;
  message: Uint8Array;
  namespace: string;
  allowedSigners: readonly AllowedSigner[];
  /** The claimed signer (ssh-keygen's -I). */
  identity: string;
  /** Verification time for valid-after / valid-before; default now. */
  now?: Date;
}

export type CheckResult = (GoodSignature & { sig: SshSig }) | Refusal;

/** A refusal of a signature whose key is known: it names that key. */
function refusedFor(by: { key: SshPublicKey; fingerprint: string }, failure: VerifyFailure, reason: string): Refusal {
  return { ok: false, failure, reason, key: by.key, fingerprint: by.fingerprint };
}

/**
 * The signature alone (`ssh-keygen -Y check-novalidate`): well-formed, the expected
 * namespace, an allowed hash, and a valid signature by the key it embeds. Says nothing
 * about whether that key is trusted.
 */
export function checkSshSig(p: { signature: Uint8Array; message: Uint8Array; namespace: string }): CheckResult {
  checkNamespace(p.namespace);
  let sig: SshSig;
  try {
    sig = parseSshSig(p.signature);
  } catch (e) {
    if (e instanceof CountersignError) {
      return { ok: false, failure: e.code === 'unsupported-algorithm' ? 'unsupported' : 'malformed', reason: e.message };
    }
    throw e;
  }
  const key = sig.publicKey;
  const fingerprint = fingerprintSha256(key);
  const fail = (failure: VerifyFailure, reason: string) => refusedFor({ key, fingerprint }, failure, reason);
  if (!isHashAlg(sig.hashAlg)) {
    return fail('unsupported', `hash algorithm ${JSON.stringify(sig.hashAlg)} is not allowed (OpenSSH accepts sha512 and sha256)`);
  }
  // sshsig_wrap_verify: strcmp of the bytes (a trailing NUL already dropped by the reader).
  if (!bytesEqual(sig.namespaceBytes, Buffer.from(p.namespace, 'utf8'))) {
    return fail('namespace', `signature was made for namespace ${JSON.stringify(sig.namespace)}, expected ${JSON.stringify(p.namespace)}`);
  }
  const data = signedDataBlobFromHash(p.namespace, sig.hashAlg, hashMessage(p.message, sig.hashAlg));
  const check = verifySignatureBlob(key, sig.signature, data);
  if (!check.ok) return fail(check.failure, check.reason);
  return {
    ok: true,
    sig,
    key,
    fingerprint,
    signatureType: check.type,
    ...(check.flags !== undefined ? { flags: check.flags, counter: check.counter } : {}),
    ...(check.origin !== undefined ? { origin: check.origin } : {}),
  };
}

/** The policy on top of OpenSSH: null when satisfied, else the failure. */
export function policyFailure(
  details: { signatureType: string; flags?: number; origin?: string },
  policy: PolicyOptions,
): { failure: VerifyFailure; reason: string } | null {
  const hasFlags = details.flags !== undefined;
  if (policy.requireUserPresence && hasFlags && (details.flags! & FLAG_UP) === 0) {
    return { failure: 'user-presence', reason: 'the authenticator did not assert user presence (UP flag clear)' };
  }
  if (policy.requireUserVerification && hasFlags && (details.flags! & FLAG_UV) === 0) {
    return {
      failure: 'user-verification',
      reason: 'the authenticator did not verify the user (UV flag clear: no PIN or biometric check)',
    };
  }
  if (policy.origins && details.signatureType === SIG_WEBAUTHN_SK_ECDSA_P256) {
    if (!policy.origins.includes(details.origin ?? '')) {
      return {
        failure: 'origin',
        reason: `passkey signature comes from origin ${JSON.stringify(details.origin)}, allowed: ${policy.origins.map((o) => JSON.stringify(o)).join(', ') || '(none)'}`,
      };
    }
  }
  return null;
}

function success(c: Extract<CheckResult, { ok: true }>, signer?: AllowedSigner): VerifyResult {
  const { sig: _sig, ...rest } = c;
  return { ...rest, ...(signer ? { signer } : {}) };
}

/**
 * `ssh-keygen -Y verify -f allowed_signers -I identity -n namespace -s sig < message`,
 * in-process, then the opt-in policy. Never throws for bad signature bytes.
 */
export function verifySshSig(input: VerifyInput): VerifyResult {
  const c = checkSshSig(input);
  if (!c.ok) return c;
  const allowed = checkAllowedSigners(input.allowedSigners, {
    key: c.key,
    identity: input.identity,
    namespace: input.namespace,
    now: input.now,
  });
  if (!allowed.ok) return refusedFor(c, allowed.failure, allowed.reason);
  const pf = policyFailure(c, input);
  if (pf) return refusedFor(c, pf.failure, pf.reason);
  return success(c, allowed.signer);
}

/**
 * Verifies against one known key instead of an allowed_signers list: the app checking a
 * freshly packaged passkey assertion against the credential it registered.
 */
export function verifySshSigWithKey(
  input: { signature: Uint8Array; message: Uint8Array; namespace: string; publicKey: SshPublicKey } & PolicyOptions,
): VerifyResult {
  const c = checkSshSig(input);
  if (!c.ok) return c;
  if (!publicKeysEqual(c.key, input.publicKey)) {
    return refusedFor(c, 'not-allowed', `signature is by key ${c.fingerprint}, expected ${fingerprintSha256(input.publicKey)}`);
  }
  const pf = policyFailure(c, input);
  if (pf) return refusedFor(c, pf.failure, pf.reason);
  return success(c);
}
