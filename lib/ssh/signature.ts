import { createHash, verify as cryptoVerify } from 'node:crypto';
import { CountersignError } from '../errors';
import { rsToFixed, type EcdsaRS } from './ecdsa-der';
import {
  KEY_ECDSA_P256,
  KEY_ED25519,
  KEY_SK_ECDSA_P256,
  refusalForKeyType,
  toKeyObject,
  type SshPublicKey,
} from './public-key';
import { SshReader, SshWriter, bytesEqual, concatBytes } from './wire';

/**
 * The signature blob inside an SSHSIG (`string signature`), one layout per type:
 *
 *   ssh-ed25519                                  string type | string sig(64)
 *   ecdsa-sha2-nistp256                          string type | string (mpint r | mpint s)
 *   sk-ecdsa-sha2-nistp256@openssh.com           string type | string (mpint r | mpint s) | byte flags | uint32 counter
 *   webauthn-sk-ecdsa-sha2-nistp256@openssh.com  … as sk-ecdsa … | string origin | string clientDataJSON | string extensions
 *
 * verifySignatureBlob reproduces OpenSSH 9.2's ssh-ed25519.c / ssh-ecdsa.c /
 * ssh-ecdsa-sk.c checks in the same order, so it accepts exactly what `ssh-keygen -Y
 * verify` accepts for these types.
 */
export const SIG_ED25519 = KEY_ED25519;
export const SIG_ECDSA_P256 = KEY_ECDSA_P256;
export const SIG_SK_ECDSA_P256 = KEY_SK_ECDSA_P256;
export const SIG_WEBAUTHN_SK_ECDSA_P256 = 'webauthn-sk-ecdsa-sha2-nistp256@openssh.com';

/** Authenticator data flag bits (WebAuthn §6.1). */
export const FLAG_UP = 0x01;
export const FLAG_UV = 0x04;
export const FLAG_AT = 0x40;
export const FLAG_ED = 0x80;

/** The fields of an sk-ecdsa signature (what follows the type string). */
export interface SkEcdsaFields {
  rs: EcdsaRS;
  flags: number;
  counter: number;
}

/** The fields of a webauthn-sk-ecdsa signature: sk-ecdsa's, then the browser's wrapper. */
export interface WebauthnFields extends SkEcdsaFields {
  origin: string;
  clientDataJSON: Uint8Array;
  extensions: Uint8Array;
}

export type ParsedSignature =
  | { type: typeof SIG_ED25519; sig: Uint8Array }
  | { type: typeof SIG_ECDSA_P256; rs: EcdsaRS }
  | ({ type: typeof SIG_SK_ECDSA_P256 } & SkEcdsaFields)
  | ({ type: typeof SIG_WEBAUTHN_SK_ECDSA_P256 } & WebauthnFields & { originBytes: Uint8Array });

export type SignatureCheck =
  | {
      ok: true;
      type: ParsedSignature['type'];
      flags?: number;
      counter?: number;
      origin?: string;
      clientDataJSON?: Uint8Array;
    }
  | { ok: false; failure: 'malformed' | 'signature' | 'unsupported'; reason: string };

function readEcdsaRS(inner: Uint8Array): EcdsaRS {
  const r = new SshReader(inner, 'bad-signature', 'ECDSA signature');
  const rs = { r: r.mpint('r').slice(), s: r.mpint('s').slice() };
  r.end('r and s');
  return rs;
}

/**
 * Parses a signature blob for `key`. The reading order and the errors follow OpenSSH:
 * the signature type must belong to the key type, and nothing may trail at any level.
 */
export function parseSignatureBlob(key: SshPublicKey, blob: Uint8Array): ParsedSignature {
  if (blob.length === 0) throw new CountersignError('bad-signature', 'signature is empty');
  const r = new SshReader(blob, 'bad-signature', 'signature');
  const type = r.cstring('signature type');
  switch (key.type) {
    case KEY_ED25519: {
      const sig = r.string('Ed25519 signature');
      if (type !== SIG_ED25519) r.fail(`signature type ${type} does not match an ${key.type} key`);
      r.end('the Ed25519 signature');
      if (sig.length !== 64) r.fail(`Ed25519 signature has ${sig.length} bytes, expected 64`);
      return { type: SIG_ED25519, sig: sig.slice() };
    }
    case KEY_ECDSA_P256: {
      const inner = r.string('ECDSA signature');
      if (type !== SIG_ECDSA_P256) r.fail(`signature type ${type} does not match an ${key.type} key`);
      r.end('the ECDSA signature');
      return { type: SIG_ECDSA_P256, rs: readEcdsaRS(inner) };
    }
    case KEY_SK_ECDSA_P256: {
      if (type !== SIG_SK_ECDSA_P256 && type !== SIG_WEBAUTHN_SK_ECDSA_P256) {
        r.fail(`signature type ${type} does not match an ${key.type} key`);
      }
      const inner = r.string('ECDSA signature');
      const flags = r.byte('flags');
      const counter = r.uint32('counter');
      if (type === SIG_SK_ECDSA_P256) {
        r.end('the sk-ecdsa signature');
        return { type: SIG_SK_ECDSA_P256, rs: readEcdsaRS(inner), flags, counter };
      }
      // A C string (one trailing NUL allowed and dropped); OpenSSH uses its bytes as they are.
      const originBytes = r.cstringBytes('origin').slice();
      const clientDataJSON = r.string('clientDataJSON').slice();
      const extensions = r.string('extensions').slice();
      r.end('the webauthn signature');
      const origin = new TextDecoder('utf-8', { ignoreBOM: true }).decode(originBytes);
      return { type: SIG_WEBAUTHN_SK_ECDSA_P256, rs: readEcdsaRS(inner), flags, counter, origin, originBytes, clientDataJSON, extensions };
    }
    default:
      throw new CountersignError('unsupported-algorithm', refusalForKeyType((key as SshPublicKey).type));
  }
}

// Ed25519 group order L = 2^252 + 27742317777372353535851937790883648493.
const ED25519_L = (1n << 252n) + 27742317777372353535851937790883648493n;

/**
 * OpenSSH verifies Ed25519 with SUPERCOP's ref code: it refuses S only if one of its top
 * three bits is set, then reduces S mod L. OpenSSL refuses any S >= L. To give the same
 * verdict (a re-encoded S + L is accepted by ssh-keygen) we reduce S the same way first.
 */
function ed25519AsOpenSsh(sig: Uint8Array): Uint8Array | null {
  if ((sig[63] & 0xe0) !== 0) return null;
  let s = 0n;
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(sig[i]);
  if (s < ED25519_L) return sig;
  s %= ED25519_L;
  const out = sig.slice();
  for (let i = 32; i < 64; i++) {
    out[i] = Number(s & 0xffn);
    s >>= 8n;
  }
  return out;
}

function ecdsaVerify(key: SshPublicKey, data: Uint8Array, rs: EcdsaRS): boolean {
  const fixed = rsToFixed(rs);
  if (!fixed) return false;
  return cryptoVerify('sha256', data, { key: toKeyObject(key), dsaEncoding: 'ieee-p1363' }, fixed);
}

const sha256 = (b: Uint8Array | string) => new Uint8Array(createHash('sha256').update(b).digest());

export const WEBAUTHN_PREFIX_0 = '{"type":"webauthn.get","challenge":"';
export const WEBAUTHN_PREFIX_1 = '","origin":"';

/** The clientDataJSON prefix OpenSSH requires, byte for byte, for a given challenge and origin. */
export function expectedClientDataPrefix(challenge: Uint8Array, origin: string): string {
  return WEBAUTHN_PREFIX_0 + Buffer.from(challenge).toString('base64url') + WEBAUTHN_PREFIX_1 + origin + '"';
}

/** The same prefix from the origin's bytes, as webauthn_check_prepare_hash builds it (no re-encoding). */
function expectedClientDataPrefixBytes(challenge: Uint8Array, origin: Uint8Array): Uint8Array {
  const head = Buffer.from(WEBAUTHN_PREFIX_0 + Buffer.from(challenge).toString('base64url') + WEBAUTHN_PREFIX_1, 'latin1');
  return concatBytes(head, origin, Uint8Array.of(0x22));
}

/** Says, for humans, why a clientDataJSON does not carry the prefix OpenSSH requires. */
export function explainClientData(clientDataJSON: Uint8Array, challenge: Uint8Array, origin: string): string {
  const text = new TextDecoder().decode(clientDataJSON);
  let parsed: Record<string, unknown> | null = null;
  try {
    const v = JSON.parse(text);
    if (v && typeof v === 'object' && !Array.isArray(v)) parsed = v as Record<string, unknown>;
  } catch {
    /* not JSON: fall through to the generic reason */
  }
  const expectedChallenge = Buffer.from(challenge).toString('base64url');
  if (!parsed) return 'clientDataJSON is not a JSON object';
  if (parsed.type !== 'webauthn.get') {
    return `clientDataJSON type is ${JSON.stringify(parsed.type)}, expected "webauthn.get" (an assertion)`;
  }
  if (typeof parsed.challenge === 'string' && parsed.challenge !== expectedChallenge) {
    const c = parsed.challenge;
    if (c.replace(/=+$/, '') === expectedChallenge) return 'clientDataJSON challenge is padded base64url; OpenSSH requires it unpadded';
    if (c.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_') === expectedChallenge) {
      return 'clientDataJSON challenge is standard base64; OpenSSH requires base64url';
    }
    return 'clientDataJSON challenge is not the signed data of this message and namespace (message, namespace or hash algorithm differ)';
  }
  if (typeof parsed.origin === 'string' && parsed.origin !== origin) {
    return `the signature's origin field ${JSON.stringify(origin)} differs from the origin in clientDataJSON ${JSON.stringify(parsed.origin)}`;
  }
  const keys = Object.keys(parsed);
  if (keys[0] !== 'type' || keys[1] !== 'challenge' || keys[2] !== 'origin') {
    return `clientDataJSON members are in the order ${keys.slice(0, 3).join(', ')}; OpenSSH requires type, challenge, origin first`;
  }
  return 'clientDataJSON does not begin with the exact bytes OpenSSH requires ({"type":"webauthn.get","challenge":"…","origin":"…" without spaces)';
}

/**
 * Verifies a signature blob over `data` (for SSHSIG: the signed-data blob) with `key`.
 * Never throws for bad signature bytes.
 */
export function verifySignatureBlob(key: SshPublicKey, blob: Uint8Array, data: Uint8Array): SignatureCheck {
  let sig: ParsedSignature;
  try {
    sig = parseSignatureBlob(key, blob);
  } catch (e) {
    if (e instanceof CountersignError) {
      return { ok: false, failure: e.code === 'unsupported-algorithm' ? 'unsupported' : 'malformed', reason: e.message };
    }
    throw e;
  }
  switch (sig.type) {
    case SIG_ED25519: {
      const s = ed25519AsOpenSsh(sig.sig);
      const good = s !== null && cryptoVerify(null, data, toKeyObject(key), s);
      return good ? { ok: true, type: sig.type } : { ok: false, failure: 'signature', reason: 'Ed25519 signature does not verify' };
    }
    case SIG_ECDSA_P256: {
      const good = ecdsaVerify(key, data, sig.rs);
      return good ? { ok: true, type: sig.type } : { ok: false, failure: 'signature', reason: 'ECDSA signature does not verify' };
    }
    case SIG_SK_ECDSA_P256:
    case SIG_WEBAUTHN_SK_ECDSA_P256: {
      let msgHash: Uint8Array;
      let extensions: Uint8Array = new Uint8Array(0);
      if (sig.type === SIG_WEBAUTHN_SK_ECDSA_P256) {
        // webauthn_check_prepare_hash: the checks OpenSSH makes on the browser's wrapper.
        if (sig.originBytes.includes(0x22)) {
          return { ok: false, failure: 'signature', reason: 'the origin contains a double quote, which OpenSSH refuses' };
        }
        if ((sig.flags & FLAG_AT) !== 0) {
          return {
            ok: false,
            failure: 'signature',
            reason: 'authenticator data has the AT flag (0x40, attested credential data; OpenSSH calls it AD) set; an assertion must not',
          };
        }
        if (((sig.flags & FLAG_ED) === 0) !== (sig.extensions.length === 0)) {
          return {
            ok: false,
            failure: 'signature',
            reason:
              (sig.flags & FLAG_ED) !== 0
                ? 'the ED flag (0x80) is set but the signature carries no extensions'
                : 'the signature carries extensions but the ED flag (0x80) is clear',
          };
        }
        const prefix = expectedClientDataPrefixBytes(data, sig.originBytes);
        if (sig.clientDataJSON.length < prefix.length || !bytesEqual(sig.clientDataJSON.subarray(0, prefix.length), prefix)) {
          return { ok: false, failure: 'signature', reason: explainClientData(sig.clientDataJSON, data, sig.origin) };
        }
        msgHash = sha256(sig.clientDataJSON);
        extensions = sig.extensions;
      } else {
        msgHash = sha256(data);
      }
      const counter = new SshWriter().uint32(sig.counter).bytes();
      const signed = concatBytes(sha256(key.applicationBytes!), Uint8Array.of(sig.flags), counter, extensions, msgHash);
      if (!ecdsaVerify(key, signed, sig.rs)) {
        return {
          ok: false,
          failure: 'signature',
          reason:
            sig.type === SIG_WEBAUTHN_SK_ECDSA_P256
              ? `passkey signature does not verify (wrong key, RP ID other than ${JSON.stringify(key.application)}, or altered data)`
              : 'security key signature does not verify',
        };
      }
      const out: SignatureCheck = { ok: true, type: sig.type, flags: sig.flags, counter: sig.counter };
      if (sig.type === SIG_WEBAUTHN_SK_ECDSA_P256) {
        out.origin = sig.origin;
        out.clientDataJSON = sig.clientDataJSON;
      }
      return out;
    }
  }
}

/** Encoders, used to package assertions and by tests to build (also broken) signatures. */
export function encodeEd25519Signature(sig64: Uint8Array): Uint8Array {
  return new SshWriter().string(SIG_ED25519).string(sig64).bytes();
}

/** `mpint r | mpint s`, the inverse of readEcdsaRS. */
function encodeEcdsaRS(rs: EcdsaRS): Uint8Array {
  return new SshWriter().mpint(rs.r).mpint(rs.s).bytes();
}

export function encodeEcdsaSignature(rs: EcdsaRS): Uint8Array {
  return new SshWriter().string(SIG_ECDSA_P256).string(encodeEcdsaRS(rs)).bytes();
}

/** The sk-ecdsa layout under `type`; the webauthn type continues it. */
function writeSkEcdsa(type: string, p: SkEcdsaFields): SshWriter {
  return new SshWriter().string(type).string(encodeEcdsaRS(p.rs)).byte(p.flags).uint32(p.counter);
}

export function encodeSkEcdsaSignature(p: SkEcdsaFields): Uint8Array {
  return writeSkEcdsa(SIG_SK_ECDSA_P256, p).bytes();
}

export function encodeWebauthnSignature(p: WebauthnFields): Uint8Array {
  return writeSkEcdsa(SIG_WEBAUTHN_SK_ECDSA_P256, p).string(p.origin).string(p.clientDataJSON).string(p.extensions).bytes();
}

