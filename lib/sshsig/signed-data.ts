import { createHash } from 'node:crypto';
import { CountersignError } from '../errors';

/**
 * What an SSHSIG key actually signs (PROTOCOL.sshsig):
 *
 *   "SSHSIG" | string namespace | string reserved("") | string hash_alg | string H(message)
 *
 * For a passkey this blob is exactly the WebAuthn challenge (raw bytes, not hashed again):
 * OpenSSH finds its base64url form inside clientDataJSON.
 */
export const SSHSIG_MAGIC = 'SSHSIG';
export type HashAlg = 'sha512' | 'sha256';
/** The algorithms `ssh-keygen -Y verify` accepts (sshsig.c HASHALG_ALLOWED). */
export const HASH_ALGS: readonly HashAlg[] = ['sha512', 'sha256'];
export const DEFAULT_HASH_ALG: HashAlg = 'sha512';

export function isHashAlg(v: string): v is HashAlg {
  return (HASH_ALGS as readonly string[]).includes(v);
}

export function checkNamespace(namespace: string): string {
  if (typeof namespace !== 'string' || namespace.length === 0) {
    throw new CountersignError('bad-input', 'a signature namespace is required (for Countersign: countersign-review@countersign.dev)');
  }
  if (namespace.includes('\0')) throw new CountersignError('bad-input', 'a signature namespace must not contain a NUL byte');
  return namespace;
}

export function hashMessage(message: Uint8Array, hashAlg: HashAlg): Uint8Array {
  return new Uint8Array(createHash(hashAlg).update(message).digest());
}

/** The signed-data blob for `message` under `namespace` (= the WebAuthn challenge). */
export function signedDataBlob(namespace: string, message: Uint8Array, hashAlg: HashAlg = DEFAULT_HASH_ALG): Uint8Array {
  checkNamespace(namespace);
  if (!isHashAlg(hashAlg)) throw new CountersignError('bad-input', `hash algorithm must be sha512 or sha256, not ${JSON.stringify(hashAlg)}`);
  return signedDataBlobFromHash(namespace, hashAlg, hashMessage(message, hashAlg));
}

export function signedDataBlobFromHash(namespace: string, hashAlg: string, messageHash: Uint8Array): Uint8Array {
  // Written into one buffer: this runs once per verified signature.
  const ns = Buffer.from(namespace, 'utf8');
  const alg = Buffer.from(hashAlg, 'utf8');
  const out = Buffer.allocUnsafe(6 + 4 + ns.length + 4 + 4 + alg.length + 4 + messageHash.length);
  let o = out.write(SSHSIG_MAGIC, 0, 'latin1');
  o = out.writeUInt32BE(ns.length, o);
  o += ns.copy(out, o);
  o = out.writeUInt32BE(0, o);
  o = out.writeUInt32BE(alg.length, o);
  o += alg.copy(out, o);
  o = out.writeUInt32BE(messageHash.length, o);
  out.set(messageHash, o);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}
