import { createHash } from 'node:crypto';
import { CountersignError } from '../errors';
import { derToRS } from '../ssh/ecdsa-der';
import { KEY_SK_ECDSA_P256, type SshPublicKey } from '../ssh/public-key';
import { FLAG_AT, FLAG_ED, encodeWebauthnSignature } from '../ssh/signature';
import { SshReader, bytesEqual } from '../ssh/wire';
import { encodeSshSig } from '../sshsig/format';
import { SSHSIG_MAGIC, DEFAULT_HASH_ALG, type HashAlg } from '../sshsig/signed-data';

/**
 * Turns a WebAuthn assertion (made with challenge = signedDataBlob(namespace, message))
 * into a binary SSHSIG of type webauthn-sk-ecdsa-sha2-nistp256@openssh.com:
 *
 *   string type | string (mpint r | mpint s) | byte flags | uint32 counter
 *   | string origin | string clientDataJSON | string extensions
 *
 * flags, counter and extensions come from authenticatorData (bytes 32, 33–36, 37–); origin
 * is the one in clientDataJSON. Everything OpenSSH will check without the message is
 * checked here, so a response that could never verify is refused with the reason instead
 * of being stored.
 */
export interface AssertionParts {
  publicKey: SshPublicKey;
  authenticatorData: Uint8Array;
  clientDataJSON: Uint8Array;
  /** DER-encoded ECDSA signature, as WebAuthn returns it. */
  signature: Uint8Array;
  namespace: string;
  hashAlg?: HashAlg;
}

function refuse(msg: string): never {
  throw new CountersignError('bad-signature', `passkey assertion cannot be packaged: ${msg}`);
}

/** Chromium's member order, which OpenSSH compares byte for byte. */
const CLIENT_DATA_PREFIX = /^\{"type":"webauthn\.get","challenge":"([A-Za-z0-9_-]*)","origin":"([^"]*)"/;

export function packageAssertion(p: AssertionParts): Uint8Array {
  const hashAlg = p.hashAlg ?? DEFAULT_HASH_ALG;
  if (p.publicKey.type !== KEY_SK_ECDSA_P256) {
    throw new CountersignError('bad-key', `a passkey key must be ${KEY_SK_ECDSA_P256}, not ${p.publicKey.type}`);
  }
  const ad = p.authenticatorData;
  if (!(ad instanceof Uint8Array) || ad.length < 37) refuse('authenticatorData is shorter than 37 bytes');
  const appHash = new Uint8Array(createHash('sha256').update(p.publicKey.applicationBytes!).digest());
  if (!bytesEqual(ad.subarray(0, 32), appHash)) {
    refuse(`authenticatorData is for another RP ID (its rpIdHash is not SHA-256 of ${JSON.stringify(p.publicKey.application)})`);
  }
  const flags = ad[32];
  const counter = new DataView(ad.buffer, ad.byteOffset + 33, 4).getUint32(0, false);
  const extensions = ad.slice(37);
  if ((flags & FLAG_AT) !== 0) refuse('authenticatorData has attested credential data (AT flag): that is a registration, not an assertion');
  if (((flags & FLAG_ED) !== 0) !== (extensions.length > 0)) refuse('the ED flag does not match the presence of extension data');

  const text = new TextDecoder('utf-8', { fatal: true }).decode(p.clientDataJSON);
  const m = CLIENT_DATA_PREFIX.exec(text);
  if (!m) {
    refuse('clientDataJSON does not begin {"type":"webauthn.get","challenge":"…","origin":"…" exactly (OpenSSH compares these bytes)');
  }
  const [, challengeB64, origin] = m;
  if (origin.includes('\\')) refuse('the origin in clientDataJSON contains an escape sequence');

  // The challenge must be the signed-data blob for this namespace and hash algorithm.
  const challenge = new Uint8Array(Buffer.from(challengeB64, 'base64url'));
  const r = new SshReader(challenge, 'bad-signature', 'challenge');
  try {
    if (Buffer.from(r.raw(6)).toString('latin1') !== SSHSIG_MAGIC) throw new Error('magic');
    const ns = r.cstring();
    r.string();
    const alg = r.cstring();
    r.string();
    r.end();
    if (ns !== p.namespace) refuse(`the challenge was made for namespace ${JSON.stringify(ns)}, not ${JSON.stringify(p.namespace)}`);
    if (alg !== hashAlg) refuse(`the challenge uses hash ${alg}, not ${hashAlg}`);
  } catch (e) {
    if (e instanceof CountersignError && e.message.startsWith('passkey assertion')) throw e;
    refuse('the challenge is not an SSHSIG signed-data blob (use signedDataBlob(namespace, message) as the WebAuthn challenge)');
  }

  const rs = derToRS(p.signature);
  const inner = encodeWebauthnSignature({ rs, flags, counter, origin, clientDataJSON: p.clientDataJSON, extensions });
  return encodeSshSig({ publicKey: p.publicKey, namespace: p.namespace, hashAlg, signature: inner });
}
