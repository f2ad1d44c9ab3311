import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { CountersignError } from '../errors';
import { SshReader, SshWriter, bytesEqual } from './wire';

/**
 * OpenSSH public keys, in the three types Countersign verifies:
 *
 *   ssh-ed25519                         string type | string pk(32)
 *   ecdsa-sha2-nistp256                 string type | string "nistp256" | string Q
 *   sk-ecdsa-sha2-nistp256@openssh.com  string type | string "nistp256" | string Q | string application
 *
 * A passkey (ES256) is the last kind with application = the WebAuthn RP ID. Other types
 * OpenSSH knows (RSA, DSA, other curves, sk-ed25519, certificates) are recognised by name
 * and refused with 'unsupported-algorithm', so a user learns why rather than "bad key".
 */
export const KEY_ED25519 = 'ssh-ed25519';
export const KEY_ECDSA_P256 = 'ecdsa-sha2-nistp256';
export const KEY_SK_ECDSA_P256 = 'sk-ecdsa-sha2-nistp256@openssh.com';
export type SupportedKeyType = typeof KEY_ED25519 | typeof KEY_ECDSA_P256 | typeof KEY_SK_ECDSA_P256;
export const SUPPORTED_KEY_TYPES: readonly SupportedKeyType[] = [KEY_ED25519, KEY_ECDSA_P256, KEY_SK_ECDSA_P256];

export interface SshPublicKey {
  readonly type: SupportedKeyType;
  /** The canonical wire blob: what fingerprints hash and what allowed_signers base64-encodes. */
  readonly blob: Uint8Array;
  /** ECDSA keys: always 'nistp256'. */
  readonly curve?: 'nistp256';
  /** ECDSA keys: the uncompressed point 04 || X || Y (65 bytes). */
  readonly q?: Uint8Array;
  /** Ed25519 keys: the 32-byte public key. */
  readonly ed25519?: Uint8Array;
  /** sk keys: the FIDO application; for a passkey, the WebAuthn RP ID. */
  readonly application?: string;
  /** The application exactly as encoded (OpenSSH hashes these bytes). */
  readonly applicationBytes?: Uint8Array;
}

/** Key types OpenSSH knows but Countersign does not verify, with the reason shown to users. */
const REFUSED_KEY_TYPES: Record<string, string> = {
  'ssh-rsa': 'RSA keys are not supported; use an Ed25519 or ECDSA P-256 key',
  'ssh-dss': 'DSA keys are not supported; use an Ed25519 or ECDSA P-256 key',
  'ecdsa-sha2-nistp384': 'ECDSA P-384 keys are not supported; only P-256 is',
  'ecdsa-sha2-nistp521': 'ECDSA P-521 keys are not supported; only P-256 is',
  'sk-ssh-ed25519@openssh.com':
    'sk-ssh-ed25519 (Ed25519 security key) is not supported; only sk-ecdsa-sha2-nistp256 security keys and passkeys are',
  'ssh-xmss@openssh.com': 'XMSS keys are not supported',
};

const SUPPORTED_LIST = SUPPORTED_KEY_TYPES.join(', ');

export function refusalForKeyType(type: string): string {
  if (REFUSED_KEY_TYPES[type]) return `${REFUSED_KEY_TYPES[type]} (key type ${type})`;
  if (type.includes('-cert-v01@openssh.com')) {
    return `OpenSSH certificates (${type}) are not supported; list the plain key in allowed_signers`;
  }
  return `unknown key type ${JSON.stringify(type)}; supported: ${SUPPORTED_LIST}`;
}

// NIST P-256 domain parameters (FIPS 186-4 D.1.2.3).
const P256_P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const P256_B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;
export const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

export function bytesToBigInt(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}

function bitLength(v: bigint): number {
  return v === 0n ? 0 : v.toString(2).length;
}

/**
 * Validates a P-256 point the way OpenSSH does before it accepts a key: uncompressed form
 * only (sshbuf get_ec), on the curve (EC_POINT_oct2point), and sshkey_ec_validate_public's
 * extra rules (each coordinate longer than half the order, and below order - 1).
 * Returns a reason, or null when the point is acceptable.
 */
const validPoints = new Set<string>();
const VALID_POINTS_LIMIT = 4096;

export function p256PointProblem(q: Uint8Array): string | null {
  // CI verifies the same few keys many times: remember points already found valid.
  const id = q.length === 65 ? Buffer.from(q.buffer, q.byteOffset, q.length).toString('latin1') : '';
  if (id && validPoints.has(id)) return null;
  const problem = p256PointProblemUncached(q);
  if (!problem && id) {
    if (validPoints.size >= VALID_POINTS_LIMIT) validPoints.clear();
    validPoints.add(id);
  }
  return problem;
}

function p256PointProblemUncached(q: Uint8Array): string | null {
  if (q.length === 0) return 'empty EC point';
  if (q[0] !== 0x04) return 'EC point is not in uncompressed form (OpenSSH accepts only 04 || X || Y)';
  if (q.length !== 65) return `EC point has ${q.length} bytes, expected 65`;
  const x = bytesToBigInt(q.subarray(1, 33));
  const y = bytesToBigInt(q.subarray(33, 65));
  if (x >= P256_P || y >= P256_P) return 'EC point coordinate is not below the field prime';
  const rhs = (((x * x) % P256_P) * x - 3n * x + P256_B) % P256_P;
  const lhs = (y * y) % P256_P;
  if (((rhs % P256_P) + P256_P) % P256_P !== lhs) return 'EC point is not on the P-256 curve';
  const half = bitLength(P256_N) / 2;
  if (bitLength(x) <= half || bitLength(y) <= half) return 'EC point coordinate is implausibly small';
  if (x >= P256_N - 1n || y >= P256_N - 1n) return 'EC point coordinate is not below the group order - 1';
  return null;
}

/**
 * Parses a public key blob (the wire form). Throws CountersignError 'bad-key' for
 * malformed data and 'unsupported-algorithm' for key types Countersign does not verify.
 */
export function parsePublicKeyBlob(blob: Uint8Array): SshPublicKey {
  const r = new SshReader(blob, 'bad-key', 'public key');
  const type = r.cstring('key type');
  switch (type) {
    case KEY_ED25519: {
      const pk = r.string('Ed25519 public key');
      if (pk.length !== 32) r.fail(`Ed25519 public key has ${pk.length} bytes, expected 32`);
      r.end('the Ed25519 key');
      return freezeKey({ type, blob: blob.slice(), ed25519: pk.slice() });
    }
    case KEY_ECDSA_P256:
    case KEY_SK_ECDSA_P256: {
      const curve = r.cstring('curve name');
      if (curve !== 'nistp256') r.fail(`curve ${JSON.stringify(curve)} does not match key type ${type}`);
      const nistp256 = 'nistp256' as const;
      const q = r.string('EC point');
      const problem = p256PointProblem(q);
      if (problem) r.fail(problem);
      if (type === KEY_ECDSA_P256) {
        r.end('the ECDSA key');
        return freezeKey({ type, blob: blob.slice(), curve: nistp256, q: q.slice() });
      }
      const applicationBytes = r.cstringBytes('application').slice();
      r.end('the sk-ecdsa key');
      return freezeKey({
        type,
        blob: blob.slice(),
        curve: nistp256,
        q: q.slice(),
        application: new TextDecoder().decode(applicationBytes),
        applicationBytes,
      });
    }
    default:
      throw new CountersignError('unsupported-algorithm', refusalForKeyType(type));
  }
}

function freezeKey(k: SshPublicKey): SshPublicKey {
  return Object.freeze(k);
}

/** Builds an sk-ecdsa key from its parts (a passkey: application = RP ID). */
export function skEcdsaKey(q: Uint8Array, application: string): SshPublicKey {
  if (application.length === 0) throw new CountersignError('bad-key', 'the application (RP ID) of a security key must not be empty');
  const blob = new SshWriter().string(KEY_SK_ECDSA_P256).string('nistp256').string(q).string(application).bytes();
  return parsePublicKeyBlob(blob);
}

export function ecdsaP256Key(q: Uint8Array): SshPublicKey {
  return parsePublicKeyBlob(new SshWriter().string(KEY_ECDSA_P256).string('nistp256').string(q).bytes());
}

export function ed25519Key(pk: Uint8Array): SshPublicKey {
  return parsePublicKeyBlob(new SshWriter().string(KEY_ED25519).string(pk).bytes());
}

const BASE64_STRICT = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function decodeBase64Strict(text: string, what: string, code: 'bad-key' | 'bad-signature' = 'bad-key'): Uint8Array {
  if (!BASE64_STRICT.test(text)) throw new CountersignError(code, `${what} is not valid base64`);
  return new Uint8Array(Buffer.from(text, 'base64'));
}

/**
 * Parses `type base64 [comment]` (an OpenSSH .pub line). The named type must be the blob's
 * own type.
 */
export function parsePublicKeyText(text: string): SshPublicKey {
  const parts = text.trim().split(/[ \t]+/);
  if (parts.length < 2 || parts[0] === '') {
    throw new CountersignError('bad-key', 'a public key line looks like "ssh-ed25519 AAAA… [comment]"');
  }
  const [type, b64] = parts;
  const key = parsePublicKeyBlob(decodeBase64Strict(b64, 'public key'));
  if (key.type !== type) {
    throw new CountersignError('bad-key', `public key line says ${type} but the key inside is ${key.type}`);
  }
  return key;
}

export function formatPublicKey(key: SshPublicKey, comment?: string): string {
  const base = `${key.type} ${Buffer.from(key.blob).toString('base64')}`;
  if (comment === undefined || comment === '') return base;
  if (/[\r\n]/.test(comment)) throw new CountersignError('bad-input', 'a key comment must be a single line');
  return `${base} ${comment}`;
}

/** `SHA256:` + unpadded base64 of SHA-256(blob), exactly as ssh-keygen -l prints it. */
export function fingerprintSha256(key: SshPublicKey | Uint8Array): string {
  const blob = key instanceof Uint8Array ? key : key.blob;
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/**
 * Key equality as sshkey_equal: same type, same key material and, for sk keys, the same
 * application. Blobs are canonical (one encoding per key), so comparing them is exact.
 */
export function publicKeysEqual(a: SshPublicKey, b: SshPublicKey): boolean {
  return a.type === b.type && bytesEqual(a.blob, b.blob);
}

const keyObjectCache = new Map<string, KeyObject>();
const KEY_CACHE_LIMIT = 4096;

function b64url(b: Uint8Array): string {
  return Buffer.from(b).toString('base64url');
}

/** A node:crypto KeyObject for verification; cached because CI verifies the same few keys many times. */
export function toKeyObject(key: SshPublicKey): KeyObject {
  const id = Buffer.from(key.blob).toString('base64');
  let ko = keyObjectCache.get(id);
  if (ko) return ko;
  if (key.type === KEY_ED25519) {
    ko = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(key.ed25519!) }, format: 'jwk' });
  } else {
    const q = key.q!;
    ko = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64url(q.subarray(1, 33)), y: b64url(q.subarray(33, 65)) }, format: 'jwk' });
  }
  if (keyObjectCache.size >= KEY_CACHE_LIMIT) keyObjectCache.clear();
  keyObjectCache.set(id, ko);
  return ko;
}
