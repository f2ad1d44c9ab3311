import { CountersignError } from '../errors';
import { parsePublicKeyBlob, type SshPublicKey } from '../ssh/public-key';
import { SshReader, SshWriter } from '../ssh/wire';
import { SSHSIG_MAGIC, checkNamespace, isHashAlg, type HashAlg } from './signed-data';

/**
 * The SSHSIG container (PROTOCOL.sshsig):
 *
 *   "SSHSIG" | uint32 version(1) | string publickey | string namespace | string reserved
 *   | string hash_alg | string signature
 *
 * and its armored text form, base64 wrapped at 70 columns between
 * `-----BEGIN SSH SIGNATURE-----` and `-----END SSH SIGNATURE-----`.
 */
export const SSHSIG_VERSION = 1;
export const ARMOR_BEGIN = '-----BEGIN SSH SIGNATURE-----';
export const ARMOR_END = '-----END SSH SIGNATURE-----';
const ARMOR_WIDTH = 70;

export interface SshSig {
  /** 1 when written; OpenSSH also reads 0 (it only refuses versions above 1), and so do we. */
  version: number;
  publicKey: SshPublicKey;
  namespace: string;
  /** Reserved field: written empty; OpenSSH ignores its content when verifying. */
  reserved: Uint8Array;
  /** As found in the signature; verification accepts only sha512 and sha256. */
  hashAlg: string;
  /** The inner signature blob (type name + type-specific fields). */
  signature: Uint8Array;
}

export function encodeSshSig(p: { publicKey: SshPublicKey; namespace: string; hashAlg?: HashAlg; signature: Uint8Array }): Uint8Array {
  checkNamespace(p.namespace);
  const hashAlg = p.hashAlg ?? 'sha512';
  if (!isHashAlg(hashAlg)) throw new CountersignError('bad-input', `hash algorithm must be sha512 or sha256, not ${JSON.stringify(hashAlg)}`);
  if (!(p.signature instanceof Uint8Array) || p.signature.length === 0) {
    throw new CountersignError('bad-input', 'an SSHSIG needs a non-empty inner signature');
  }
  return new SshWriter()
    .raw(SSHSIG_MAGIC)
    .uint32(SSHSIG_VERSION)
    .string(p.publicKey.blob)
    .string(p.namespace)
    .string('')
    .string(hashAlg)
    .string(p.signature)
    .bytes();
}

/**
 * Parses a binary SSHSIG. Truncation, trailing bytes, a wrong magic or a newer version
 * throw CountersignError('bad-signature'); a key type Countersign does not verify throws
 * 'unsupported-algorithm'.
 */
export function parseSshSig(bytes: Uint8Array): SshSig {
  if (!(bytes instanceof Uint8Array)) throw new CountersignError('bad-signature', 'signature must be bytes');
  const r = new SshReader(bytes, 'bad-signature', 'SSHSIG');
  if (bytes.length < SSHSIG_MAGIC.length || Buffer.from(bytes.subarray(0, 6)).toString('latin1') !== SSHSIG_MAGIC) {
    throw new CountersignError('bad-signature', 'not an SSH signature (it does not start with "SSHSIG")');
  }
  r.raw(SSHSIG_MAGIC.length);
  const version = r.uint32('version');
  if (version > SSHSIG_VERSION) r.fail(`signature version ${version} is newer than the supported version ${SSHSIG_VERSION}`);
  const keyBlob = r.string('public key');
  const namespace = r.cstring('namespace');
  const reserved = r.string('reserved field').slice();
  const hashAlg = r.cstring('hash algorithm');
  const signature = r.string('signature').slice();
  r.end('the signature');
  let publicKey: SshPublicKey;
  try {
    publicKey = parsePublicKeyBlob(keyBlob);
  } catch (e) {
    if (e instanceof CountersignError && e.code === 'bad-key') {
      throw new CountersignError('bad-signature', `SSHSIG: the embedded ${e.message}`);
    }
    throw e;
  }
  return { version, publicKey, namespace, reserved, hashAlg, signature };
}

/** Armors a binary SSHSIG exactly as ssh-keygen -Y sign writes it (70 columns, final newline). */
export function armorSshSig(bytes: Uint8Array): string {
  const b64 = Buffer.from(bytes).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += ARMOR_WIDTH) lines.push(b64.slice(i, i + ARMOR_WIDTH));
  return `${ARMOR_BEGIN}\n${lines.join('\n')}\n${ARMOR_END}\n`;
}

/**
 * Reads an armored SSHSIG. Whitespace around the armor and line breaks (LF or CRLF) inside
 * it are accepted; anything else (other text, bad base64) throws 'bad-signature'.
 */
export function dearmorSshSig(text: string): Uint8Array {
  const t = text.trim();
  if (!t.startsWith(ARMOR_BEGIN)) {
    throw new CountersignError('bad-signature', `armored signature must start with ${ARMOR_BEGIN}`);
  }
  if (!t.endsWith(ARMOR_END)) throw new CountersignError('bad-signature', `armored signature must end with ${ARMOR_END}`);
  const body = t.slice(ARMOR_BEGIN.length, t.length - ARMOR_END.length);
  if (!/^\r?\n/.test(body)) throw new CountersignError('bad-signature', 'armored signature: expected a line break after the BEGIN line');
  const b64 = body.replace(/[\r\n \t]+/g, '');
  if (b64.length === 0 || !/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(b64)) {
    throw new CountersignError('bad-signature', 'armored signature body is not valid base64');
  }
  return new Uint8Array(Buffer.from(b64, 'base64'));
}
