import { CountersignError } from '../errors';
import { p256PointProblem, skEcdsaKey, type SshPublicKey } from '../ssh/public-key';
import { decodeCbor, type CborValue } from './cbor';

/**
 * A WebAuthn credential public key (COSE_Key, RFC 9053) as an OpenSSH key.
 *
 * Only ES256 (EC2 key on P-256) becomes a key: OpenSSH defines a WebAuthn signature type
 * only for ECDSA P-256 (webauthn-sk-ecdsa-sha2-nistp256@openssh.com). The result is an
 * sk-ecdsa-sha2-nistp256@openssh.com key whose application is the RP ID, because OpenSSH
 * checks the assertion's rpIdHash against SHA-256(application).
 */
const COSE_KTY = 1;
const COSE_ALG = 3;
const COSE_EC2_CRV = -1;
const COSE_EC2_X = -2;
const COSE_EC2_Y = -3;
const KTY_OKP = 1;
const KTY_EC2 = 2;
const KTY_RSA = 3;
const ALG_ES256 = -7;
const CRV_P256 = 1;

const ALG_NAMES: Record<number, string> = {
  [-7]: 'ES256',
  [-8]: 'EdDSA',
  [-35]: 'ES384',
  [-36]: 'ES512',
  [-257]: 'RS256',
  [-258]: 'RS384',
  [-259]: 'RS512',
  [-37]: 'PS256',
  [-47]: 'ES256K',
};

function refuse(what: string): never {
  throw new CountersignError(
    'unsupported-algorithm',
    `this passkey uses ${what}; OpenSSH has a WebAuthn signature type only for ES256 (ECDSA P-256), so it cannot become an SSH signature. Register a passkey that offers ES256 (COSE alg -7).`,
  );
}

export interface CoseEc2Key {
  alg: number;
  /** Uncompressed point 04 || X || Y. */
  q: Uint8Array;
}

/** Reads an ES256 COSE key; refuses other algorithms with a reason. */
export function parseCoseEs256(cose: Uint8Array): CoseEc2Key {
  if (!(cose instanceof Uint8Array) || cose.length === 0) throw new CountersignError('bad-key', 'COSE key is empty');
  const { value, end } = decodeCbor(cose);
  if (end !== cose.length) throw new CountersignError('bad-key', `COSE key has ${cose.length - end} trailing byte(s)`);
  if (!(value instanceof Map)) throw new CountersignError('bad-key', 'COSE key is not a CBOR map');
  const get = (k: number): CborValue => value.get(k);
  const kty = get(COSE_KTY);
  const alg = get(COSE_ALG);
  if (typeof alg === 'number' && alg !== ALG_ES256) refuse(`${ALG_NAMES[alg] ?? 'COSE algorithm ' + alg}`);
  if (kty === KTY_RSA) refuse('RSA (RS256)');
  if (kty === KTY_OKP) refuse('an OKP key (EdDSA / Ed25519)');
  if (kty !== KTY_EC2) throw new CountersignError('bad-key', `COSE key type ${String(kty)} is not EC2`);
  if (alg !== ALG_ES256) throw new CountersignError('bad-key', 'COSE key has no algorithm (expected ES256, alg -7)');
  const crv = get(COSE_EC2_CRV);
  if (crv !== CRV_P256) refuse(`an EC2 key on curve ${String(crv)} (ES256 requires P-256, crv 1)`);
  const x = get(COSE_EC2_X);
  const y = get(COSE_EC2_Y);
  if (!(x instanceof Uint8Array) || !(y instanceof Uint8Array) || x.length !== 32 || y.length !== 32) {
    throw new CountersignError('bad-key', 'COSE EC2 key needs 32-byte x and y coordinates');
  }
  const q = new Uint8Array(65);
  q[0] = 0x04;
  q.set(x, 1);
  q.set(y, 33);
  const problem = p256PointProblem(q);
  if (problem) throw new CountersignError('bad-key', `COSE key: ${problem}`);
  return { alg, q };
}

/** The sk-ecdsa-sha2-nistp256@openssh.com key for a passkey registered under `rpId`. */
export function sshKeyFromCose(cose: Uint8Array, rpId: string): SshPublicKey {
  if (typeof rpId !== 'string' || rpId.length === 0 || /[\s\0]/.test(rpId)) {
    throw new CountersignError('bad-input', 'RP ID must be a non-empty host name such as "sign.example.org"');
  }
  return skEcdsaKey(parseCoseEs256(cose).q, rpId);
}
