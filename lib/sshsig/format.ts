import { CountersignError } from '../errors';
import { KEY_ED25519, KEY_SK_ECDSA_P256, parsePublicKeyBlob, type SshPublicKey } from '../ssh/public-key';
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
  /** The namespace's bytes, without a trailing NUL (OpenSSH compares these with strcmp). */
  namespaceBytes: Uint8Array;
  /** Reserved field: written empty; OpenSSH ignores its content when verifying. */
  reserved: Uint8Array;
  /** As found in the signature (a trailing NUL dropped); verification accepts only sha512 and sha256. */
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
 * The embedded key, read as sshkey_froms reads it. Its C strings (key type, curve,
 * application) may end in one NUL, which OpenSSH drops: the key is then the same key as
 * without it. OpenSSH keeps the parsed key, not the bytes, and fingerprints and compares that;
 * so the key's blob is rebuilt in the canonical form (it differs only when a NUL was dropped).
 */
function sshkeyFroms(keyBlob: Uint8Array): SshPublicKey {
  let key: SshPublicKey;
  try {
    key = parsePublicKeyBlob(keyBlob);
  } catch (e) {
    if (e instanceof CountersignError && e.code === 'bad-key') {
      throw new CountersignError('bad-signature', `SSHSIG: the embedded ${e.message}`);
    }
    throw e;
  }
  // The parser is strict everywhere else, so a blob of the canonical length is canonical: the
  // common case costs no copy (this runs once per verified signature).
  const fields = key.type === KEY_ED25519 ? [key.ed25519!] : [ascii(key.curve!), key.q!, ...(key.type === KEY_SK_ECDSA_P256 ? [key.applicationBytes!] : [])];
  const canonicalLength = fields.reduce((n, f) => n + 4 + f.length, 4 + key.type.length);
  if (keyBlob.length === canonicalLength) return key;
  const canonical = new SshWriter().string(key.type);
  for (const f of fields) canonical.string(f);
  return parsePublicKeyBlob(canonical.bytes());
}

/**
 * Parses a binary SSHSIG as sshsig.c does (sshsig_parse_preamble, then sshsig_wrap_verify's
 * reads): magic, a version no newer than 1, the key (sshkey_froms), the namespace and hash
 * algorithm as C strings (sshbuf_get_cstring: one trailing NUL allowed and dropped), the
 * reserved field and the signature as plain strings, and nothing after. Truncation, trailing
 * bytes, a wrong magic or a newer version throw CountersignError('bad-signature'); a key type
 * Countersign does not verify throws 'unsupported-algorithm'.
 */
export function parseSshSig(bytes: Uint8Array): SshSig {
  if (!(bytes instanceof Uint8Array)) throw new CountersignError('bad-signature', 'signature must be bytes');
  const r = new SshReader(bytes, 'bad-signature', 'SSHSIG');
  // sshsig_parse_preamble
  if (bytes.length < SSHSIG_MAGIC.length || Buffer.from(bytes.subarray(0, 6)).toString('latin1') !== SSHSIG_MAGIC) {
    throw new CountersignError('bad-signature', 'not an SSH signature (it does not start with "SSHSIG")');
  }
  r.raw(SSHSIG_MAGIC.length);
  const version = r.uint32('version');
  if (version > SSHSIG_VERSION) r.fail(`signature version ${version} is newer than the supported version ${SSHSIG_VERSION}`);
  // sshsig_wrap_verify
  const keyBlob = r.string('public key');
  const namespaceBytes = r.cstringBytes('namespace').slice();
  const reserved = r.string('reserved field').slice();
  const hashAlg = r.cstring('hash algorithm');
  const signature = r.string('signature').slice();
  r.end('the signature');
  const publicKey = sshkeyFroms(keyBlob);
  return { version, publicKey, namespace: textOf(namespaceBytes), namespaceBytes, reserved, hashAlg, signature };
}

/** For display; OpenSSH compares the bytes (see SshSig.namespaceBytes). */
const textOf = (b: Uint8Array) => new TextDecoder('utf-8', { ignoreBOM: true }).decode(b);

/** Armors a binary SSHSIG exactly as ssh-keygen -Y sign writes it (70 columns, final newline). */
export function armorSshSig(bytes: Uint8Array): string {
  const b64 = Buffer.from(bytes).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += ARMOR_WIDTH) lines.push(b64.slice(i, i + ARMOR_WIDTH));
  return `${ARMOR_BEGIN}\n${lines.join('\n')}\n${ARMOR_END}\n`;
}

const ascii = (s: string) => Buffer.from(s, 'latin1');
const BEGIN_SIGNATURE = ascii(`${ARMOR_BEGIN}\n`);
const NL_END_SIGNATURE = ascii(`\n${ARMOR_END}`);

/**
 * Reads a signature file's bytes as ssh-keygen -Y verify does (sshbuf_load_file, then
 * sshsig_dearmor), so that a file is accepted exactly when ssh-keygen accepts it:
 * - it must start with exactly "-----BEGIN SSH SIGNATURE-----\n": no blank line, space or BOM
 *   before it, and no CR in that line (a CRLF file is refused);
 * - the base64 is everything up to the first "\n-----END SSH SIGNATURE-----"; whatever follows
 *   that marker (a final newline or not, other text, another signature) is ignored;
 * - the base64 may end in one NUL (sshbuf_dup_string drops it), holds no other NUL, and is
 *   decoded by b64_pton: C whitespace anywhere, padding required, zero padding bits.
 * Anything else throws CountersignError('bad-signature').
 */
export function dearmorSshSig(file: string | Uint8Array): Uint8Array {
  const buf = typeof file === 'string' ? Buffer.from(file, 'utf8') : Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (buf.length < BEGIN_SIGNATURE.length || !buf.subarray(0, BEGIN_SIGNATURE.length).equals(BEGIN_SIGNATURE)) {
    const why = /^\s/.test(buf.subarray(0, 1).toString('latin1'))
      ? ' (ssh-keygen refuses whitespace or blank lines before it)'
      : buf.subarray(0, BEGIN_SIGNATURE.length + 1).toString('latin1') === `${ARMOR_BEGIN}\r\n`
        ? ' (ssh-keygen refuses CRLF line ends)'
        : '';
    throw new CountersignError('bad-signature', `armored signature must start with the line ${ARMOR_BEGIN}${why}`);
  }
  const rest = buf.subarray(BEGIN_SIGNATURE.length);
  const end = rest.indexOf(NL_END_SIGNATURE);
  if (end === -1) {
    throw new CountersignError('bad-signature', `armored signature has no line ${ARMOR_END} (at the start of a line) after the base64`);
  }
  let body = rest.subarray(0, end);
  // sshbuf_dup_string
  const nul = body.indexOf(0);
  if (nul !== -1) {
    if (nul !== body.length - 1) throw new CountersignError('bad-signature', 'armored signature: the base64 contains a NUL byte');
    body = body.subarray(0, nul);
  }
  const decoded = b64Pton(body);
  if (!decoded) throw new CountersignError('bad-signature', 'armored signature body is not valid base64');
  return decoded;
}

/** The alphabet and whitespace of OpenSSH's b64_pton (C isspace: space, \t, \n, \v, \f, \r). */
const B64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const C_SPACE = /[ \t\n\v\f\r]+/g;
const B64_PADDED = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * OpenSSH's b64_pton, which skips whitespace anywhere (even between two "=") and otherwise
 * accepts only whole padded quanta, nothing but whitespace after the padding, and zero bits in
 * the last character's unused low bits. Returns null where it returns -1.
 */
function b64Pton(text: Uint8Array): Uint8Array | null {
  const s = Buffer.from(text).toString('latin1').replace(C_SPACE, '');
  if (!B64_PADDED.test(s)) return null;
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  if (pad > 0) {
    const last = B64_ALPHABET.indexOf(s[s.length - pad - 1]);
    if ((last & (pad === 2 ? 0x0f : 0x03)) !== 0) return null;
  }
  return new Uint8Array(Buffer.from(s, 'base64'));
}
