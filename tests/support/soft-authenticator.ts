/**
 * A software passkey (and software SSH keys) on node:crypto, for tests and benchmarks.
 *
 * getAssertion builds authenticatorData and clientDataJSON the way Chromium does:
 *   authenticatorData = SHA-256(rpId) | flags | signCount (uint32 BE) | extensions
 *   clientDataJSON    = {"type":"webauthn.get","challenge":"<base64url>","origin":"<origin>","crossOrigin":false}
 * and signs authenticatorData || SHA-256(clientDataJSON) with ECDSA P-256 / SHA-256, DER
 * encoded, as WebAuthn returns it. Every knob exists to produce one realistic negative case.
 */
import { createHash, generateKeyPairSync, randomBytes, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { derToRS, fixedToRS, type EcdsaRS } from '../../lib/ssh/ecdsa-der';
import { ecdsaP256Key, ed25519Key, skEcdsaKey, type SshPublicKey } from '../../lib/ssh/public-key';
import {
  FLAG_ED,
  FLAG_UP,
  FLAG_UV,
  encodeEcdsaSignature,
  encodeEd25519Signature,
  encodeSkEcdsaSignature,
  encodeWebauthnSignature,
} from '../../lib/ssh/signature';
import { concatBytes } from '../../lib/ssh/wire';
import { encodeSshSig } from '../../lib/sshsig/format';
import { signedDataBlob, type HashAlg } from '../../lib/sshsig/signed-data';
import { packageAssertion } from '../../lib/webauthn/package-assertion';

const sha256 = (b: Uint8Array | string) => new Uint8Array(createHash('sha256').update(b).digest());
const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');

// ---- minimal CBOR encoder (COSE keys, attestation objects) ----

type CborIn = number | Uint8Array | string | CborIn[] | Map<CborIn, CborIn> | { [k: string]: CborIn };

function cborHead(major: number, n: number): Uint8Array {
  if (n < 24) return Uint8Array.of((major << 5) | n);
  if (n < 0x100) return Uint8Array.of((major << 5) | 24, n);
  if (n < 0x10000) return Uint8Array.of((major << 5) | 25, n >> 8, n & 0xff);
  return Uint8Array.of((major << 5) | 26, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

export function cborEncode(v: CborIn): Uint8Array {
  if (typeof v === 'number') return v >= 0 ? cborHead(0, v) : cborHead(1, -1 - v);
  if (v instanceof Uint8Array) return concatBytes(cborHead(2, v.length), v);
  if (typeof v === 'string') {
    const b = new TextEncoder().encode(v);
    return concatBytes(cborHead(3, b.length), b);
  }
  if (Array.isArray(v)) return concatBytes(cborHead(4, v.length), ...v.map(cborEncode));
  const entries = v instanceof Map ? [...v.entries()] : Object.entries(v);
  return concatBytes(cborHead(5, entries.length), ...entries.flatMap(([k, x]) => [cborEncode(k), cborEncode(x)]));
}

// ---- passkeys ----

export interface SoftPasskey {
  rpId: string;
  credentialId: Uint8Array;
  userHandle: Uint8Array;
  privateKey: KeyObject;
  /** COSE_Key (EC2, ES256, P-256), as in the registration's attested credential data. */
  cosePublicKey: Uint8Array;
  /** The OpenSSH key: sk-ecdsa-sha2-nistp256@openssh.com with application = rpId. */
  sshKey: SshPublicKey;
  /** Next signature counter (Chromium's virtual authenticator counts up; synced passkeys send 0). */
  counter: number;
}

function p256Point(publicKey: KeyObject): { x: Uint8Array; y: Uint8Array; q: Uint8Array } {
  const jwk = publicKey.export({ format: 'jwk' });
  const x = new Uint8Array(Buffer.from(jwk.x!, 'base64url'));
  const y = new Uint8Array(Buffer.from(jwk.y!, 'base64url'));
  return { x, y, q: concatBytes(Uint8Array.of(4), x, y) };
}

export function createPasskey(opts: { rpId: string; credentialId?: Uint8Array; userHandle?: Uint8Array; counter?: number }): SoftPasskey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { x, y, q } = p256Point(publicKey);
  const cosePublicKey = cborEncode(
    new Map<CborIn, CborIn>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, x],
      [-3, y],
    ]),
  );
  return {
    rpId: opts.rpId,
    credentialId: opts.credentialId ?? new Uint8Array(randomBytes(16)),
    userHandle: opts.userHandle ?? new Uint8Array(randomBytes(16)),
    privateKey,
    cosePublicKey,
    sshKey: skEcdsaKey(q, opts.rpId),
    counter: opts.counter ?? 1,
  };
}

export interface AssertionOptions {
  /** The raw challenge bytes (for Countersign: signedDataBlob(namespace, message)). */
  challenge: Uint8Array;
  origin: string;
  /** RP ID hashed into authenticatorData; default the passkey's (set another for a wrong-RP case). */
  rpId?: string;
  /** Authenticator flags; default UP|UV (0x05), plus ED (0x80) when extensions are given. */
  flags?: number;
  /** Signature counter; default the passkey's running counter. */
  counter?: number;
  /** Raw CBOR extension outputs appended to authenticatorData. */
  extensions?: Uint8Array;
  /** clientDataJSON "type"; default webauthn.get. */
  type?: string;
  crossOrigin?: boolean;
  topOrigin?: string;
  /** How the challenge is written: WebAuthn says unpadded base64url. */
  challengeEncoding?: 'base64url' | 'base64url-padded' | 'base64';
  /** Member order; default Chromium's type, challenge, origin, crossOrigin (then topOrigin). */
  memberOrder?: string[];
  /** Extra members appended (Chromium sometimes adds "other_keys_can_be_added_here"). */
  extraMembers?: Record<string, string | boolean>;
  /** Last-moment edit of the serialized clientDataJSON. */
  clientDataOverride?: (json: string) => string;
  /** Re-sign (fresh ECDSA nonce) until r and s satisfy this, e.g. to get a short r or a high bit. */
  want?: (rs: EcdsaRS) => boolean;
}

export interface SoftAssertion {
  credentialId: Uint8Array;
  authenticatorData: Uint8Array;
  clientDataJSON: Uint8Array;
  /** DER-encoded ECDSA signature. */
  signature: Uint8Array;
  userHandle: Uint8Array;
}

function challengeText(challenge: Uint8Array, enc: AssertionOptions['challengeEncoding']): string {
  const b64 = Buffer.from(challenge).toString('base64');
  if (enc === 'base64') return b64;
  const url = b64.replace(/\+/g, '-').replace(/\//g, '_');
  return enc === 'base64url-padded' ? url : url.replace(/=+$/, '');
}

/** Chromium's clientDataJSON: fixed member order, no whitespace, JSON-escaped strings. */
export function buildClientDataJSON(o: Omit<AssertionOptions, 'want' | 'rpId' | 'flags' | 'counter' | 'extensions'>): string {
  const members: Record<string, string | boolean> = {
    type: o.type ?? 'webauthn.get',
    challenge: challengeText(o.challenge, o.challengeEncoding),
    origin: o.origin,
    crossOrigin: o.crossOrigin ?? false,
  };
  if (o.topOrigin !== undefined) members.topOrigin = o.topOrigin;
  Object.assign(members, o.extraMembers ?? {});
  const order = o.memberOrder ?? Object.keys(members);
  const rest = Object.keys(members).filter((k) => !order.includes(k));
  const json = '{' + [...order, ...rest].filter((k) => k in members).map((k) => `${JSON.stringify(k)}:${JSON.stringify(members[k])}`).join(',') + '}';
  return o.clientDataOverride ? o.clientDataOverride(json) : json;
}

function u32be(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, false);
  return b;
}

export function buildAuthenticatorData(p: { rpId: string; flags: number; counter: number; extensions?: Uint8Array }): Uint8Array {
  return concatBytes(sha256(p.rpId), Uint8Array.of(p.flags), u32be(p.counter), p.extensions ?? new Uint8Array(0));
}

export function getAssertion(pk: SoftPasskey, o: AssertionOptions): SoftAssertion {
  const extensions = o.extensions ?? new Uint8Array(0);
  const flags = o.flags ?? (FLAG_UP | FLAG_UV | (extensions.length > 0 ? FLAG_ED : 0));
  const counter = o.counter ?? pk.counter++;
  const authenticatorData = buildAuthenticatorData({ rpId: o.rpId ?? pk.rpId, flags, counter, extensions });
  const clientDataJSON = new TextEncoder().encode(buildClientDataJSON(o));
  const signed = concatBytes(authenticatorData, sha256(clientDataJSON));
  let signature = new Uint8Array(cryptoSign('sha256', signed, pk.privateKey));
  for (let i = 0; o.want && !o.want(derToRS(signature)); i++) {
    if (i > 5000) throw new Error('soft authenticator: could not produce a signature with the wanted r/s shape');
    signature = new Uint8Array(cryptoSign('sha256', signed, pk.privateKey));
  }
  return { credentialId: pk.credentialId, authenticatorData, clientDataJSON, signature, userHandle: pk.userHandle };
}

/** The assertion in @simplewebauthn's AuthenticationResponseJSON shape (what startAuthentication() returns). */
export function toAuthenticationResponseJSON(a: SoftAssertion) {
  const id = b64url(a.credentialId);
  return {
    id,
    rawId: id,
    response: {
      authenticatorData: b64url(a.authenticatorData),
      clientDataJSON: b64url(a.clientDataJSON),
      signature: b64url(a.signature),
      userHandle: b64url(a.userHandle),
    },
    type: 'public-key' as const,
    clientExtensionResults: {},
    authenticatorAttachment: 'platform' as const,
  };
}

/**
 * A registration in @simplewebauthn's RegistrationResponseJSON shape ('none' attestation),
 * so app tests can enrol the soft passkey through verifyRegistrationResponse.
 */
export function toRegistrationResponseJSON(pk: SoftPasskey, o: { challenge: Uint8Array | string; origin: string; flags?: number }) {
  const challenge = typeof o.challenge === 'string' ? o.challenge : b64url(o.challenge);
  const clientDataJSON = new TextEncoder().encode(
    `{"type":"webauthn.create","challenge":${JSON.stringify(challenge)},"origin":${JSON.stringify(o.origin)},"crossOrigin":false}`,
  );
  const credIdLen = Uint8Array.of(pk.credentialId.length >> 8, pk.credentialId.length & 0xff);
  const attested = concatBytes(new Uint8Array(16) /* AAGUID */, credIdLen, pk.credentialId, pk.cosePublicKey);
  const authData = concatBytes(buildAuthenticatorData({ rpId: pk.rpId, flags: o.flags ?? FLAG_UP | FLAG_UV | 0x40, counter: 0 }), attested);
  const attestationObject = cborEncode({ fmt: 'none', attStmt: new Map(), authData });
  const id = b64url(pk.credentialId);
  return {
    id,
    rawId: id,
    response: {
      clientDataJSON: b64url(clientDataJSON),
      attestationObject: b64url(attestationObject),
      transports: ['internal' as const],
    },
    type: 'public-key' as const,
    clientExtensionResults: {},
    authenticatorAttachment: 'platform' as const,
  };
}

/** Signs `message` under `namespace` with the passkey and packages it as an SSHSIG (the app's path). */
export function passkeySshSig(
  pk: SoftPasskey,
  p: { message: Uint8Array; namespace: string; origin: string; hashAlg?: HashAlg } & Omit<AssertionOptions, 'challenge' | 'origin'>,
): { sshsig: Uint8Array; assertion: SoftAssertion } {
  const { message, namespace, hashAlg, ...opts } = p;
  const assertion = getAssertion(pk, { ...opts, challenge: signedDataBlob(namespace, message, hashAlg) });
  const sshsig = packageAssertion({ publicKey: pk.sshKey, ...assertion, namespace, hashAlg });
  return { sshsig, assertion };
}

/**
 * A security-key signature of the non-WebAuthn kind (sk-ecdsa-sha2-nistp256@openssh.com,
 * what `ssh-keygen -Y sign` makes with a FIDO token): ECDSA over
 * SHA-256(application) | flags | counter | SHA-256(data).
 */
export function skSignatureBlob(pk: SoftPasskey, data: Uint8Array, o: { flags?: number; counter?: number; want?: (rs: EcdsaRS) => boolean } = {}): Uint8Array {
  const flags = o.flags ?? FLAG_UP;
  const counter = o.counter ?? pk.counter++;
  const signed = concatBytes(sha256(pk.rpId), Uint8Array.of(flags), u32be(counter), sha256(data));
  let der = new Uint8Array(cryptoSign('sha256', signed, pk.privateKey));
  for (let i = 0; o.want && !o.want(derToRS(der)); i++) {
    if (i > 5000) throw new Error('could not produce the wanted r/s shape');
    der = new Uint8Array(cryptoSign('sha256', signed, pk.privateKey));
  }
  return encodeSkEcdsaSignature({ rs: derToRS(der), flags, counter });
}

export function skSshSig(pk: SoftPasskey, p: { message: Uint8Array; namespace: string; hashAlg?: HashAlg; flags?: number; counter?: number }): Uint8Array {
  const data = signedDataBlob(p.namespace, p.message, p.hashAlg);
  return encodeSshSig({ publicKey: pk.sshKey, namespace: p.namespace, hashAlg: p.hashAlg, signature: skSignatureBlob(pk, data, p) });
}

// ---- plain software SSH keys (what `ssh-keygen -Y sign` would produce, in-process) ----

export interface SoftSshKey {
  kind: 'ed25519' | 'ecdsa';
  privateKey: KeyObject;
  sshKey: SshPublicKey;
}

export function createSoftSshKey(kind: 'ed25519' | 'ecdsa'): SoftSshKey {
  if (kind === 'ed25519') {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const x = new Uint8Array(Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url'));
    return { kind, privateKey, sshKey: ed25519Key(x) };
  }
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { kind, privateKey, sshKey: ecdsaP256Key(p256Point(publicKey).q) };
}

export function softSignatureBlob(k: SoftSshKey, data: Uint8Array): Uint8Array {
  if (k.kind === 'ed25519') return encodeEd25519Signature(new Uint8Array(cryptoSign(null, data, k.privateKey)));
  const fixed = new Uint8Array(cryptoSign('sha256', data, { key: k.privateKey, dsaEncoding: 'ieee-p1363' }));
  return encodeEcdsaSignature(fixedToRS(fixed));
}

export function softSshSig(k: SoftSshKey, p: { message: Uint8Array; namespace: string; hashAlg?: HashAlg }): Uint8Array {
  const data = signedDataBlob(p.namespace, p.message, p.hashAlg);
  return encodeSshSig({ publicKey: k.sshKey, namespace: p.namespace, hashAlg: p.hashAlg, signature: softSignatureBlob(k, data) });
}

/**
 * Packages an assertion without packageAssertion's safety checks, so tests can build the
 * signatures OpenSSH must reject (AT flag, wrong RP ID, reordered clientDataJSON, …).
 * The origin field defaults to the one in clientDataJSON.
 */
export function packageUnchecked(
  key: SshPublicKey,
  a: Pick<SoftAssertion, 'authenticatorData' | 'clientDataJSON' | 'signature'>,
  p: { namespace: string; hashAlg?: HashAlg; origin?: string },
): Uint8Array {
  const ad = a.authenticatorData;
  let origin = p.origin;
  if (origin === undefined) {
    try {
      origin = String(JSON.parse(new TextDecoder().decode(a.clientDataJSON)).origin ?? '');
    } catch {
      origin = '';
    }
  }
  const inner = encodeWebauthnSignature({
    rs: derToRS(a.signature),
    flags: ad[32],
    counter: new DataView(ad.buffer, ad.byteOffset + 33, 4).getUint32(0, false),
    origin,
    clientDataJSON: a.clientDataJSON,
    extensions: ad.slice(37),
  });
  return encodeSshSig({ publicKey: key, namespace: p.namespace, hashAlg: p.hashAlg, signature: inner });
}
