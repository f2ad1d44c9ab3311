/**
 * Differential test: every case goes through our in-process verifySshSig AND stock
 * `ssh-keygen -Y verify -f allowed_signers -I identity -n namespace -s sig < message`.
 * The two verdicts must be identical, and must be the verdict the case expects (so a
 * broken setup where both always say "bad" cannot pass).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllowedSignersLenient } from '../../lib/allowed-signers';
import { CountersignError } from '../../lib/errors';
import { evaluateLines } from '../../lib/gate/evaluate';
import { formatNoteLine } from '../../lib/notes/line';
import { formatPolicy, parsePolicy } from '../../lib/policy/policy';
import { formatPublicKey, skEcdsaKey, type SshPublicKey } from '../../lib/ssh/public-key';
import { FLAG_UP, FLAG_UV } from '../../lib/ssh/signature';
import { SshReader, SshWriter } from '../../lib/ssh/wire';
import { armorSshSig, dearmorSshSig, hashMessage, parseSshSig, signedDataBlob, signedDataBlobFromHash, verifySshSig } from '../../lib/sshsig';
import { DEFAULT_NAMESPACE, statementBytes } from '../../lib/statement/statement';
import {
  createPasskey,
  createSoftSshKey,
  getAssertion,
  packageUnchecked,
  passkeySshSig,
  skSshSig,
  softSignatureBlob,
  softSshSig,
  type SoftPasskey,
} from '../support/soft-authenticator';
import { limiter, makeKey, makeTempDir, sshKeygenSign, sshKeygenVerify } from '../support/ssh-keygen';

const NS = DEFAULT_NAMESPACE;
const ORIGIN = 'https://sign.example.org';
const RP = 'sign.example.org';
const ALICE = 'alice@example.org';
const FIXTURES = path.join(import.meta.dirname, '../fixtures/openssh-webauthn');

const statement = {
  repository: 'https://git.example.org/countersign.git',
  commit: 'a'.repeat(40),
  tree: 'b'.repeat(40),
  verdict: 'approve',
  signer: ALICE,
  time: '2026-06-01T12:00:00Z',
};
const message = statementBytes(statement);
const otherMessage = new TextEncoder().encode(new TextDecoder().decode(message).replace('approve', 'reject'));

interface Case {
  name: string;
  expect: boolean;
  /** The binary SSHSIG; ssh-keygen is given armorSshSig(sig). */
  sig?: Uint8Array;
  /** Or a signature file's exact bytes, given to ssh-keygen and dearmored by us (armor cases). */
  armored?: string | Uint8Array;
  allowedSigners: string;
  identity?: string;
  namespace?: string;
  message?: Uint8Array;
  /** Verification time (passed to ssh-keygen as -O verify-time). */
  now?: Date;
}

const line = (principals: string, key: SshPublicKey, options?: string) =>
  `${principals} ${options ? options + ' ' : ''}${formatPublicKey(key)}\n`;

/** Rebuilds an SSHSIG with some fields replaced (for malformed cases); namespace and hash algorithm as text or raw bytes. */
function rebuild(
  sig: Uint8Array,
  o: { version?: number; keyBlob?: Uint8Array; namespace?: string | Uint8Array; reserved?: Uint8Array; hashAlg?: string | Uint8Array; inner?: Uint8Array },
): Uint8Array {
  const p = parseSshSig(sig);
  return new SshWriter()
    .raw('SSHSIG')
    .uint32(o.version ?? 1)
    .string(o.keyBlob ?? p.publicKey.blob)
    .string(o.namespace ?? p.namespace)
    .string(o.reserved ?? new Uint8Array())
    .string(o.hashAlg ?? p.hashAlg)
    .string(o.inner ?? p.signature)
    .bytes();
}

/** The r and s mpint bodies of an ECDSA-family inner signature, and the bytes after them. */
function splitInner(inner: Uint8Array): { type: string; r: Uint8Array; s: Uint8Array; tail: Uint8Array } {
  const rd = new SshReader(inner);
  const type = rd.cstring();
  const rs = new SshReader(rd.string());
  const r = rs.string().slice();
  const s = rs.string().slice();
  return { type, r, s, tail: inner.slice(rd.offset) };
}

function joinInner(p: { type: string; r: Uint8Array; s: Uint8Array; tail: Uint8Array }): Uint8Array {
  return new SshWriter().string(p.type).string(new SshWriter().string(p.r).string(p.s).bytes()).raw(p.tail).bytes();
}

function ssh(sig: Uint8Array) {
  return parseSshSig(sig);
}

const tmp = await makeTempDir('countersign-diff-');
afterAll(() => tmp.cleanup());

// ---- keys ----
const pkA = createPasskey({ rpId: RP });
const pkB = createPasskey({ rpId: 'localhost' });
const pkC = createPasskey({ rpId: RP });
const passkeys: SoftPasskey[] = [pkA, pkB, pkC];
const kgEd = await makeKey(tmp.dir, 'ed25519');
const kgEc = await makeKey(tmp.dir, 'ecdsa');
const softEd = createSoftSshKey('ed25519');
const softEc = createSoftSshKey('ecdsa');

const asA = line(ALICE, pkA.sshKey);
const good = (pk: SoftPasskey, extra: Parameters<typeof passkeySshSig>[1] extends infer T ? Partial<T> : never = {}) =>
  passkeySshSig(pk, { message, namespace: NS, origin: pk === pkB ? 'http://localhost:3000' : ORIGIN, ...extra }).sshsig;
const challenge = signedDataBlob(NS, message);
const raw = (pk: SoftPasskey, o: Partial<Parameters<typeof getAssertion>[1]> & { originField?: string; namespace?: string } = {}) => {
  const { originField, namespace, ...ao } = o;
  const a = getAssertion(pk, { challenge: namespace ? signedDataBlob(namespace, message) : challenge, origin: ORIGIN, ...ao });
  return packageUnchecked(pk.sshKey, a, { namespace: namespace ?? NS, origin: originField });
};

const cases: Case[] = [];
const add = (c: Case) => cases.push(c);

// ---- good passkey signatures ----
for (const [i, pk] of passkeys.entries()) {
  add({ name: `passkey ${i + 1} (${pk.rpId}) good`, expect: true, sig: good(pk), allowedSigners: line(ALICE, pk.sshKey) });
}
add({ name: 'passkey r with high bit set (mpint needs 0x00)', expect: true, sig: good(pkA, { want: ({ r }) => r.length === 32 && r[0] >= 0x80 }), allowedSigners: asA });
add({ name: 'passkey s with high bit set', expect: true, sig: good(pkA, { want: ({ s }) => s.length === 32 && s[0] >= 0x80 }), allowedSigners: asA });
add({ name: 'passkey r and s without high bit', expect: true, sig: good(pkA, { want: ({ r, s }) => r[0] < 0x80 && s[0] < 0x80 && r.length === 32 && s.length === 32 }), allowedSigners: asA });
add({ name: 'passkey short r (< 32 bytes)', expect: true, sig: good(pkA, { want: ({ r }) => r.length < 32 }), allowedSigners: asA });
add({ name: 'passkey short s (< 32 bytes)', expect: true, sig: good(pkA, { want: ({ s }) => s.length < 32 }), allowedSigners: asA });
add({ name: 'passkey with sha256 hash algorithm', expect: true, sig: good(pkA, { hashAlg: 'sha256' }), allowedSigners: asA });
add({ name: 'passkey flags UP only (no UV)', expect: true, sig: good(pkA, { flags: FLAG_UP }), allowedSigners: asA });
add({ name: 'passkey flags 0x00: stock OpenSSH does not check UP', expect: true, sig: good(pkA, { flags: 0 }), allowedSigners: asA });
add({ name: 'passkey counter 0 (synced passkey)', expect: true, sig: good(pkA, { counter: 0 }), allowedSigners: asA });
add({ name: 'passkey counter 0xffffffff', expect: true, sig: good(pkA, { counter: 0xffffffff }), allowedSigners: asA });
add({ name: 'passkey with extensions and ED flag', expect: true, sig: raw(pkA, { extensions: Uint8Array.of(0xa1, 0x63, 0x66, 0x6f, 0x6f, 0xf5) }), allowedSigners: asA });
add({
  name: 'passkey clientDataJSON with extra members after origin',
  expect: true,
  sig: good(pkA, { crossOrigin: true, topOrigin: 'https://top.example', extraMembers: { other_keys_can_be_added_here: 'do not compare clientDataJSON against a template' } }),
  allowedSigners: asA,
});

// ---- bad passkey signatures ----
add({ name: 'passkey: tampered message', expect: false, sig: good(pkA), message: otherMessage, allowedSigners: asA });
add({ name: 'passkey: verified under another namespace', expect: false, sig: good(pkA), namespace: 'git', allowedSigners: asA });
add({ name: 'passkey: signed for namespace git, SSHSIG relabelled', expect: false, sig: rebuild(raw(pkA, { namespace: 'git' }), { namespace: NS }), allowedSigners: asA });
add({ name: 'passkey: wrong RP ID in authenticatorData', expect: false, sig: raw(pkA, { rpId: 'evil.example' }), allowedSigners: asA });
{
  // The assertion is for evil.example and the key names evil.example, but it is not the allowed key.
  const evil = createPasskey({ rpId: 'evil.example' });
  add({ name: 'passkey: another RP ID and key than allowed', expect: false, sig: good(evil), allowedSigners: asA });
  // Key material A relabelled with another application: the rpIdHash no longer matches.
  const relabelled = createPasskey({ rpId: RP });
  const a = getAssertion(relabelled, { challenge, origin: ORIGIN });
  const sshKey = skEcdsaKey(relabelled.sshKey.q!, 'other.example.org');
  add({ name: 'passkey: key application differs from the RP ID signed', expect: false, sig: packageUnchecked(sshKey, a, { namespace: NS }), allowedSigners: line(ALICE, sshKey) });
}
add({ name: 'passkey: AT/AD flag (0x40) set', expect: false, sig: raw(pkA, { flags: FLAG_UP | FLAG_UV | 0x40 }), allowedSigners: asA });
add({ name: 'passkey: ED flag without extensions', expect: false, sig: raw(pkA, { flags: FLAG_UP | 0x80 }), allowedSigners: asA });
add({ name: 'passkey: extensions without ED flag', expect: false, sig: raw(pkA, { flags: FLAG_UP, extensions: Uint8Array.of(0xa0) }), allowedSigners: asA });
add({ name: 'passkey: origin field differs from clientDataJSON', expect: false, sig: raw(pkA, { originField: 'https://other.example.org' }), allowedSigners: asA });
add({ name: 'passkey: origin containing a double quote', expect: false, sig: raw(pkA, { origin: 'https://sign.example.org"x', originField: 'https://sign.example.org"x' }), allowedSigners: asA });
add({ name: 'passkey: reordered clientDataJSON members', expect: false, sig: raw(pkA, { memberOrder: ['challenge', 'type', 'origin', 'crossOrigin'] }), allowedSigners: asA });
add({ name: 'passkey: whitespace in clientDataJSON', expect: false, sig: raw(pkA, { clientDataOverride: (j) => j.replace(/,"/g, ', "') }), allowedSigners: asA });
{
  // 95-byte signed data (namespace "git") so the base64 has padding to add.
  const ns = 'git';
  const a = getAssertion(pkA, { challenge: signedDataBlob(ns, message), origin: ORIGIN, challengeEncoding: 'base64url-padded' });
  expect(new TextDecoder().decode(a.clientDataJSON)).toMatch(/=",/);
  add({ name: 'passkey: padded base64url challenge', expect: false, sig: packageUnchecked(pkA.sshKey, a, { namespace: ns }), namespace: ns, allowedSigners: asA });
  const ok = getAssertion(pkA, { challenge: signedDataBlob(ns, message), origin: ORIGIN });
  add({ name: 'passkey: same in namespace git, unpadded (good)', expect: true, sig: packageUnchecked(pkA.sshKey, ok, { namespace: ns }), namespace: ns, allowedSigners: asA });
}
{
  // A message whose challenge has + or / in standard base64.
  let m = message;
  for (let i = 0; !/[+/]/.test(Buffer.from(signedDataBlob(NS, m)).toString('base64')); i++) m = new TextEncoder().encode(`msg ${i}`);
  const a = getAssertion(pkA, { challenge: signedDataBlob(NS, m), origin: ORIGIN, challengeEncoding: 'base64' });
  add({ name: 'passkey: standard base64 challenge', expect: false, sig: packageUnchecked(pkA.sshKey, a, { namespace: NS }), message: m, allowedSigners: asA });
}
add({ name: 'passkey: type webauthn.create', expect: false, sig: raw(pkA, { type: 'webauthn.create' }), allowedSigners: asA });
add({ name: 'passkey: signed by another passkey than allowed', expect: false, sig: good(pkC), allowedSigners: asA });
{
  // Key substitution: SSHSIG names key A, the assertion is by key C.
  const a = getAssertion(pkC, { challenge, origin: ORIGIN });
  add({ name: 'passkey: embedded key is not the signer', expect: false, sig: packageUnchecked(pkA.sshKey, a, { namespace: NS }), allowedSigners: asA });
}
add({ name: 'passkey: wrong identity', expect: false, sig: good(pkA), identity: 'bob@example.org', allowedSigners: asA });
{
  const sig = good(pkA, { want: ({ r }) => r.length === 32 && r[0] >= 0x80 });
  const inner = splitInner(ssh(sig).signature);
  const flipped = inner.r.slice();
  flipped[flipped.length - 1] ^= 1;
  add({ name: 'passkey: r garbled', expect: false, sig: rebuild(sig, { inner: joinInner({ ...inner, r: flipped }) }), allowedSigners: asA });
  expect(inner.r[0]).toBe(0);
  add({ name: 'passkey: r with high bit but no 0x00 (negative mpint)', expect: false, sig: rebuild(sig, { inner: joinInner({ ...inner, r: inner.r.slice(1) }) }), allowedSigners: asA });
  add({ name: 'passkey: r with redundant leading zeros (OpenSSH tolerates)', expect: true, sig: rebuild(sig, { inner: joinInner({ ...inner, r: Uint8Array.of(0, 0, ...inner.r) }) }), allowedSigners: asA });
  const swapped = inner.tail.slice();
  swapped[4] ^= 0x01; // counter lowest byte
  add({ name: 'passkey: counter altered after signing', expect: false, sig: rebuild(sig, { inner: joinInner({ ...inner, tail: swapped }) }), allowedSigners: asA });
  add({ name: 'passkey: trailing byte inside the webauthn signature', expect: false, sig: rebuild(sig, { inner: new Uint8Array([...ssh(sig).signature, 0]) }), allowedSigners: asA });
}
{
  // Signature type mismatch: the ed25519 key embedded with a webauthn signature blob.
  const sig = good(pkA);
  add({ name: 'webauthn signature under an Ed25519 key', expect: false, sig: rebuild(sig, { keyBlob: kgEd.key.blob }), allowedSigners: line(ALICE, kgEd.key) });
}

// ---- non-webauthn security-key signatures (sk-ecdsa, as ssh-keygen makes with a FIDO token) ----
add({ name: 'sk-ecdsa (non-webauthn) good', expect: true, sig: skSshSig(pkA, { message, namespace: NS }), allowedSigners: asA });
add({ name: 'sk-ecdsa (non-webauthn) flags 0x00', expect: true, sig: skSshSig(pkA, { message, namespace: NS, flags: 0 }), allowedSigners: asA });
add({ name: 'sk-ecdsa (non-webauthn) tampered message', expect: false, sig: skSshSig(pkA, { message, namespace: NS }), message: otherMessage, allowedSigners: asA });

// ---- plain keys signed by ssh-keygen ----
const kgEdSig = dearmorSshSig(await sshKeygenSign(kgEd.privatePath, NS, message));
const kgEcSig = dearmorSshSig(await sshKeygenSign(kgEc.privatePath, NS, message));
const kgEdSig256 = dearmorSshSig(await sshKeygenSign(kgEd.privatePath, NS, message, 'sha256'));
add({ name: 'ed25519 by ssh-keygen good', expect: true, sig: kgEdSig, allowedSigners: line(ALICE, kgEd.key) });
add({ name: 'ed25519 by ssh-keygen, sha256', expect: true, sig: kgEdSig256, allowedSigners: line(ALICE, kgEd.key) });
add({ name: 'ecdsa by ssh-keygen good', expect: true, sig: kgEcSig, allowedSigners: line(ALICE, kgEc.key) });
add({ name: 'ed25519 by ssh-keygen, tampered message', expect: false, sig: kgEdSig, message: otherMessage, allowedSigners: line(ALICE, kgEd.key) });
add({ name: 'ecdsa by ssh-keygen, wrong namespace', expect: false, sig: kgEcSig, namespace: 'file', allowedSigners: line(ALICE, kgEc.key) });
add({ name: 'ecdsa by ssh-keygen, another key allowed', expect: false, sig: kgEcSig, allowedSigners: line(ALICE, softEc.sshKey) });
add({ name: 'ed25519 in-process good', expect: true, sig: softSshSig(softEd, { message, namespace: NS }), allowedSigners: line(ALICE, softEd.sshKey) });
add({ name: 'ecdsa in-process good', expect: true, sig: softSshSig(softEc, { message, namespace: NS }), allowedSigners: line(ALICE, softEc.sshKey) });
{
  // Ed25519 S + L: OpenSSH's ref10 code reduces S, OpenSSL would refuse it.
  const p = ssh(kgEdSig);
  const rd = new SshReader(p.signature);
  rd.cstring();
  const sig64 = rd.string().slice();
  let S = 0n;
  for (let i = 63; i >= 32; i--) S = (S << 8n) | BigInt(sig64[i]);
  S += (1n << 252n) + 27742317777372353535851937790883648493n;
  if (S < 1n << 253n) {
    for (let i = 32; i < 64; i++) {
      sig64[i] = Number(S & 0xffn);
      S >>= 8n;
    }
    add({ name: 'ed25519 with S + L (accepted by OpenSSH)', expect: true, sig: rebuild(kgEdSig, { inner: new SshWriter().string('ssh-ed25519').string(sig64).bytes() }), allowedSigners: line(ALICE, kgEd.key) });
  }
  const short = new SshWriter().string('ssh-ed25519').string(sig64.slice(0, 63)).bytes();
  add({ name: 'ed25519 with 63-byte signature', expect: false, sig: rebuild(kgEdSig, { inner: short }), allowedSigners: line(ALICE, kgEd.key) });
}

// ---- malformed containers ----
{
  const sig = good(pkA);
  add({ name: 'truncated signature', expect: false, sig: sig.slice(0, sig.length - 10), allowedSigners: asA });
  add({ name: 'trailing garbage after the SSHSIG', expect: false, sig: new Uint8Array([...sig, 1, 2, 3]), allowedSigners: asA });
  add({ name: 'bad magic', expect: false, sig: new Uint8Array([0x58, ...sig.slice(1)]), allowedSigners: asA });
  add({ name: 'SSHSIG version 2', expect: false, sig: rebuild(sig, { version: 2 }), allowedSigners: asA });
  add({ name: 'SSHSIG version 0 (OpenSSH accepts)', expect: true, sig: rebuild(sig, { version: 0 }), allowedSigners: asA });
  add({ name: 'non-empty reserved field (OpenSSH ignores it)', expect: true, sig: rebuild(sig, { reserved: Uint8Array.of(1, 2, 3) }), allowedSigners: asA });
  add({ name: 'hash algorithm sha1', expect: false, sig: rebuild(sig, { hashAlg: 'sha1' }), allowedSigners: asA });
  add({ name: 'embedded key blob with a trailing byte', expect: false, sig: rebuild(sig, { keyBlob: new Uint8Array([...pkA.sshKey.blob, 0]) }), allowedSigners: asA });
  add({ name: 'empty inner signature', expect: false, sig: rebuild(sig, { inner: new Uint8Array(0) }), allowedSigners: asA });
  const garbled = sig.slice();
  garbled[Math.floor(garbled.length * 0.6)] ^= 0xff;
  add({ name: 'one byte garbled in the middle', expect: false, sig: garbled, allowedSigners: asA });
}

// ---- allowed_signers semantics ----
{
  const sig = good(pkA);
  const k = pkA.sshKey;
  const T = (iso: string) => new Date(iso);
  const as = (c: Omit<Case, 'sig' | 'expect'> & { expect: boolean }) => add({ sig, ...c });
  as({ name: 'principal wildcard *@example.org', expect: true, allowedSigners: line('*@example.org', k) });
  as({ name: 'principal ? pattern', expect: true, allowedSigners: line('alic?@example.org', k) });
  as({ name: 'principal list with negation, identity not negated', expect: true, allowedSigners: line('*@example.org,!mallory@example.org', k) });
  as({ name: 'principal list with negation, identity negated', expect: false, identity: 'mallory@example.org', allowedSigners: line('*@example.org,!mallory@example.org', k) });
  as({ name: 'principal pattern is case-sensitive', expect: false, identity: 'Alice@example.org', allowedSigners: asA });
  as({ name: 'quoted principals', expect: true, allowedSigners: `"bob@example.org,${ALICE}" ${formatPublicKey(k)}\n` });
  as({ name: 'namespaces= allows our namespace', expect: true, allowedSigners: line(ALICE, k, `namespaces="${NS}"`) });
  as({ name: 'namespaces= pattern countersign-*', expect: true, allowedSigners: line(ALICE, k, 'namespaces="git,countersign-*"') });
  as({ name: 'namespaces= excludes our namespace', expect: false, allowedSigners: line(ALICE, k, 'namespaces="git"') });
  as({ name: 'option names are case-insensitive', expect: true, allowedSigners: line(ALICE, k, `NameSpaces="${NS}"`) });
  as({ name: 'valid-before in the past (expired)', expect: false, now: T('2026-06-01T12:00:00Z'), allowedSigners: line(ALICE, k, 'valid-before="20260101Z"') });
  as({ name: 'valid-after in the future (not yet valid)', expect: false, now: T('2026-06-01T12:00:00Z'), allowedSigners: line(ALICE, k, 'valid-after="20270101000000Z"') });
  as({ name: 'validity window containing now', expect: true, now: T('2026-06-01T12:00:00Z'), allowedSigners: line(ALICE, k, 'valid-after="20260101",valid-before="202612312359Z"') });
  as({ name: 'valid-before one second before now', expect: false, now: T('2026-06-01T12:00:00Z'), allowedSigners: line(ALICE, k, 'valid-before="20260601115959Z"') });
  as({ name: 'valid-before exactly now (inclusive)', expect: true, now: T('2026-06-01T12:00:00Z'), allowedSigners: line(ALICE, k, 'valid-before="20260601120000UTC"') });
  as({ name: 'valid-after unquoted is an error', expect: false, allowedSigners: line(ALICE, k, 'valid-after=20200101') });
  as({ name: 'unknown option verify-required', expect: false, allowedSigners: line(ALICE, k, 'verify-required') });
  as({ name: 'unknown option no-touch-required', expect: false, allowedSigners: line(ALICE, k, 'no-touch-required') });
  as({ name: 'bad line is skipped, next good line accepts', expect: true, allowedSigners: line(ALICE, k, 'verify-required') + asA });
  as({ name: 'cert-authority line does not vouch for a plain key', expect: false, allowedSigners: line(ALICE, k, 'cert-authority') });
  as({ name: 'comments, blank lines and CRLF', expect: true, allowedSigners: `# reviewers\r\n\r\n  ${asA.trimEnd()} alice's phone\r\n` });
  as({ name: 'key written as webauthn-sk-ecdsa type name', expect: true, allowedSigners: `${ALICE} webauthn-sk-ecdsa-sha2-nistp256@openssh.com ${formatPublicKey(k).split(' ')[1]}\n` });
  as({ name: 'key type name does not match the blob', expect: false, allowedSigners: `${ALICE} ecdsa-sha2-nistp256 ${formatPublicKey(k).split(' ')[1]}\n` });
  as({ name: 'unpadded base64 key is invalid', expect: false, allowedSigners: `${ALICE} ${formatPublicKey(k).replace(/=+$/, '')}\n` });
  as({ name: 'expired line, then a valid line for the same key', expect: true, now: T('2026-06-01T12:00:00Z'), allowedSigners: line(ALICE, k, 'valid-before="20200101"') + asA });
  as({ name: 'valid-before before valid-after is an error', expect: false, now: T('2026-06-01T12:00:00Z'), allowedSigners: line(ALICE, k, 'valid-after="20270101",valid-before="20200101"') });
  as({ name: 'duplicate namespaces clause is an error', expect: false, allowedSigners: line(ALICE, k, `namespaces="${NS}",namespaces="${NS}"`) });
  as({ name: 'empty allowed_signers file', expect: false, allowedSigners: '' });
}

// ---- C strings: OpenSSH reads these fields with sshbuf_get_cstring, which allows one NUL as
// the string's last byte (and drops it) but refuses a NUL anywhere else. The signed data is
// rebuilt from the clean strings, so a signature stays good with the NUL added. (issue 7.5)
/** A string field with `suffix` appended, as raw bytes (the text is the field's clean value). */
const withTail = (text: string, suffix: number[]) => new Uint8Array([...new TextEncoder().encode(text), ...suffix]);
/** An inner signature (or key blob) whose leading type string is replaced by `type`. */
function retype(blob: Uint8Array, type: Uint8Array): Uint8Array {
  const rd = new SshReader(blob);
  rd.string();
  return new SshWriter().string(type).raw(blob.subarray(rd.offset)).bytes();
}
{
  const sig = good(pkA);
  const edAllowed = line(ALICE, kgEd.key);
  const ecAllowed = line(ALICE, kgEc.key);
  add({ name: 'cstring: namespace with a trailing NUL (OpenSSH accepts)', expect: true, sig: rebuild(sig, { namespace: withTail(NS, [0]) }), allowedSigners: asA });
  add({ name: 'cstring: namespace with two trailing NULs', expect: false, sig: rebuild(sig, { namespace: withTail(NS, [0, 0]) }), allowedSigners: asA });
  add({ name: 'cstring: namespace with an embedded NUL', expect: false, sig: rebuild(sig, { namespace: withTail(NS, [0, 0x78]) }), allowedSigners: asA });
  add({ name: 'cstring: namespace that is only a NUL', expect: false, sig: rebuild(sig, { namespace: Uint8Array.of(0) }), allowedSigners: asA });
  add({ name: 'cstring: hash algorithm sha512 with a trailing NUL (OpenSSH accepts)', expect: true, sig: rebuild(sig, { hashAlg: withTail('sha512', [0]) }), allowedSigners: asA });
  add({ name: 'cstring: hash algorithm sha512 with two trailing NULs', expect: false, sig: rebuild(sig, { hashAlg: withTail('sha512', [0, 0]) }), allowedSigners: asA });
  add({ name: 'cstring: hash algorithm sha256 with a trailing NUL, ed25519 (OpenSSH accepts)', expect: true, sig: rebuild(kgEdSig256, { hashAlg: withTail('sha256', [0]) }), allowedSigners: edAllowed });
  add({ name: 'cstring: hash algorithm with a NUL then garbage', expect: false, sig: rebuild(sig, { hashAlg: withTail('sha512', [0, 0x31]) }), allowedSigners: asA });
  // The key blob: its type (sshkey_from_blob_internal), the curve (ssh_ecdsa_deserialize_public)
  // and the application (sshkey_deserialize_sk) are C strings; the key is still the listed one.
  const edKey = retype(kgEd.key.blob, withTail('ssh-ed25519', [0]));
  add({ name: 'cstring: embedded ed25519 key type with a trailing NUL (OpenSSH accepts)', expect: true, sig: rebuild(kgEdSig, { keyBlob: edKey }), allowedSigners: edAllowed });
  add({ name: 'cstring: embedded ed25519 key type with an embedded NUL', expect: false, sig: rebuild(kgEdSig, { keyBlob: retype(kgEd.key.blob, withTail('ssh-ed25519', [0, 0])) }), allowedSigners: edAllowed });
  const ecKey = retype(kgEc.key.blob, withTail('ecdsa-sha2-nistp256', [0]));
  add({ name: 'cstring: embedded ecdsa key type with a trailing NUL (OpenSSH accepts)', expect: true, sig: rebuild(kgEcSig, { keyBlob: ecKey }), allowedSigners: ecAllowed });
  const q = kgEc.key.q!;
  const ecCurve = new SshWriter().string('ecdsa-sha2-nistp256').string(withTail('nistp256', [0])).string(q).bytes();
  add({ name: 'cstring: ecdsa curve name with a trailing NUL (OpenSSH accepts)', expect: true, sig: rebuild(kgEcSig, { keyBlob: ecCurve }), allowedSigners: ecAllowed });
  const skKey = (type: Uint8Array, curve: Uint8Array, app: Uint8Array) => new SshWriter().string(type).string(curve).string(pkA.sshKey.q!).string(app).bytes();
  const SK = 'sk-ecdsa-sha2-nistp256@openssh.com';
  add({ name: 'cstring: embedded passkey key type with a trailing NUL (OpenSSH accepts)', expect: true, sig: rebuild(sig, { keyBlob: skKey(withTail(SK, [0]), withTail('nistp256', []), withTail(RP, [])) }), allowedSigners: asA });
  add({ name: 'cstring: passkey application (RP ID) with a trailing NUL (OpenSSH accepts)', expect: true, sig: rebuild(sig, { keyBlob: skKey(withTail(SK, []), withTail('nistp256', []), withTail(RP, [0])) }), allowedSigners: asA });
  add({ name: 'cstring: passkey application with an embedded NUL', expect: false, sig: rebuild(sig, { keyBlob: skKey(withTail(SK, []), withTail('nistp256', []), withTail(RP, [0, 0x2e])) }), allowedSigners: asA });
  // The inner signature's type (ssh_ed25519_verify, ssh_ecdsa_verify, ssh_ecdsa_sk_verify) and
  // the webauthn origin (ssh_ecdsa_sk_verify) are C strings too.
  const edInner = parseSshSig(kgEdSig).signature;
  add({ name: 'cstring: ed25519 signature type with a trailing NUL (OpenSSH accepts)', expect: true, sig: rebuild(kgEdSig, { inner: retype(edInner, withTail('ssh-ed25519', [0])) }), allowedSigners: edAllowed });
  add({ name: 'cstring: ed25519 signature type with two trailing NULs', expect: false, sig: rebuild(kgEdSig, { inner: retype(edInner, withTail('ssh-ed25519', [0, 0])) }), allowedSigners: edAllowed });
  const ecInner = parseSshSig(kgEcSig).signature;
  add({ name: 'cstring: ecdsa signature type with a trailing NUL (OpenSSH accepts)', expect: true, sig: rebuild(kgEcSig, { inner: retype(ecInner, withTail('ecdsa-sha2-nistp256', [0])) }), allowedSigners: ecAllowed });
  const waInner = parseSshSig(sig).signature;
  add({ name: 'cstring: webauthn signature type with a trailing NUL (OpenSSH accepts)', expect: true, sig: rebuild(sig, { inner: retype(waInner, withTail('webauthn-sk-ecdsa-sha2-nistp256@openssh.com', [0])) }), allowedSigners: asA });
  add({ name: 'cstring: webauthn signature type with an embedded NUL', expect: false, sig: rebuild(sig, { inner: retype(waInner, withTail('webauthn-sk-ecdsa-sha2-nistp256@openssh.com', [0, 0])) }), allowedSigners: asA });
  const skSig = skSshSig(pkA, { message, namespace: NS });
  add({ name: 'cstring: sk-ecdsa signature type with a trailing NUL (OpenSSH accepts)', expect: true, sig: rebuild(skSig, { inner: retype(parseSshSig(skSig).signature, withTail(SK, [0])) }), allowedSigners: asA });
  add({ name: 'cstring: webauthn origin field with a trailing NUL (OpenSSH accepts)', expect: true, sig: raw(pkA, { originField: `${ORIGIN}\0` }), allowedSigners: asA });
  add({ name: 'cstring: webauthn origin field with an embedded NUL', expect: false, sig: raw(pkA, { originField: `${ORIGIN}\0\0` }), allowedSigners: asA });
  // A NUL the signer really signed over is not the same namespace: OpenSSH rebuilds the signed
  // data from the -n namespace, so this signature is over other bytes.
  const nulData = signedDataBlobFromHash(`${NS}\0`, 'sha512', hashMessage(message, 'sha512'));
  const nulSigned = new SshWriter().raw('SSHSIG').uint32(1).string(softEd.sshKey.blob).string(`${NS}\0`).string('').string('sha512').string(softSignatureBlob(softEd, nulData)).bytes();
  add({ name: 'cstring: namespace with a trailing NUL that was signed over too', expect: false, sig: nulSigned, allowedSigners: line(ALICE, softEd.sshKey) });
  // Plain strings (sshbuf_get_string) may hold any bytes; the rest of the container is strict.
  add({ name: 'reserved field of NULs (a string, not a C string: ignored)', expect: true, sig: rebuild(sig, { reserved: Uint8Array.of(0, 0, 0) }), allowedSigners: asA });
  add({ name: 'a NUL byte after the SSHSIG', expect: false, sig: new Uint8Array([...sig, 0]), allowedSigners: asA });
  add({ name: 'a NUL byte after the inner signature', expect: false, sig: rebuild(kgEdSig, { inner: new Uint8Array([...edInner, 0]) }), allowedSigners: edAllowed });
  add({ name: 'SSHSIG version 0xffffffff', expect: false, sig: rebuild(sig, { version: 0xffffffff }), allowedSigners: asA });
  add({ name: 'a byte-order mark before the namespace (strcmp differs)', expect: false, sig: rebuild(sig, { namespace: new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(NS)]) }), allowedSigners: asA });
  add({ name: 'a byte-order mark before the signature type', expect: false, sig: rebuild(kgEdSig, { inner: retype(edInner, new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('ssh-ed25519')])) }), allowedSigners: edAllowed });
  add({ name: 'string length longer than the SSHSIG', expect: false, sig: (() => { const b = sig.slice(); b[10 + 3] += 1; return b; })(), allowedSigners: asA });
}

// ---- armor: ssh-keygen reads the whole file (sshbuf_load_file) and sshsig_dearmor takes it
// only if it starts with exactly "-----BEGIN SSH SIGNATURE-----\n", then uses what lies before
// the first "\n-----END SSH SIGNATURE-----" and ignores everything after it. The base64
// (b64_pton) may hold C whitespace anywhere, needs its padding and zero padding bits. (issue 7.5)
{
  const sig = kgEdSig;
  const allowed = line(ALICE, kgEd.key);
  const armored = armorSshSig(sig);
  const [begin, ...rest] = armored.trimEnd().split('\n');
  const end = rest.pop()!;
  const body = rest; // the 70-column base64 lines
  const b64 = body.join('');
  const arm = (name: string, expectOk: boolean, text: string | Uint8Array) => add({ name: `armor: ${name}`, expect: expectOk, armored: text, allowedSigners: allowed });
  arm('as ssh-keygen writes it', true, armored);
  arm('a leading blank line', false, '\n' + armored);
  arm('a leading space', false, ' ' + armored);
  arm('CRLF line ends throughout', false, armored.replace(/\n/g, '\r\n'));
  arm('CRLF inside, LF after the BEGIN line', true, `${begin}\n${body.join('\r\n')}\r\n${end}\r\n`);
  arm('text after the END line', true, armored + 'signed by alice\n');
  arm('text on the END line after the marker', true, armored.trimEnd() + ' trailing words');
  arm('a second armored signature after the first', true, armored + armorSshSig(softSshSig(softEc, { message, namespace: NS })));
  arm('no final newline', true, armored.trimEnd());
  arm('END marker on the last base64 line', false, `${begin}\n${body.join('\n')}${end}\n`);
  arm('blank and whitespace-only lines between base64 lines', true, `${begin}\n\n${body.join('\n \t\n')}\n\n${end}\n`);
  arm('spaces and tabs inside base64 lines', true, `${begin}\n${body.map((l) => l.replace(/(.{7})/g, '$1 ').replace(/ (.)/, '\t$1')).join('\n')}\n${end}\n`);
  arm('vertical tab and form feed inside the base64 (C isspace)', true, `${begin}\n${body.join('\v\n\f')}\n${end}\n`);
  arm('base64 on one unwrapped line', true, `${begin}\n${b64}\n${end}\n`);
  arm('base64 wrapped at 64 columns', true, `${begin}\n${b64.replace(/(.{64})/g, '$1\n').trimEnd()}\n${end}\n`);
  arm('lowercase BEGIN line', false, armored.replace('BEGIN SSH SIGNATURE', 'begin ssh signature'));
  arm('a space after the BEGIN marker', false, armored.replace('-----\n', '----- \n'));
  arm('a space before the END marker', false, armored.replace('\n-----END', '\n -----END'));
  arm('no END line', false, `${begin}\n${body.join('\n')}\n`);
  arm('no base64 between the markers', false, `${begin}\n\n${end}\n`);
  arm('an empty file', false, '');
  arm('a NUL right before the END line (sshbuf_dup_string drops it)', true, `${begin}\n${body.join('\n')}\0\n${end}\n`);
  arm('a NUL inside the base64', false, `${begin}\n${body[0]}\0\n${body.slice(1).join('\n')}\n${end}\n`);
  arm('a NUL after the END line', true, armored + '\0');
  {
    // Six 0xff bytes in the reserved field make sure the base64 has a '/' to swap for '_'.
    const slashes = Buffer.from(rebuild(sig, { reserved: new Uint8Array(6).fill(0xff) })).toString('base64');
    expect(slashes).toContain('////');
    arm('base64url alphabet', false, `${begin}\n${slashes.replace(/\+/g, '-').replace(/\//g, '_')}\n${end}\n`);
    arm('the same in standard base64 (good: OpenSSH ignores the reserved field)', true, `${begin}\n${slashes}\n${end}\n`);
  }
  arm('a non-base64 character', false, armored.replace(body[1].slice(0, 4), body[1].slice(0, 3) + '*'));
  arm('non-ASCII byte inside the base64', false, new Uint8Array([...Buffer.from(`${begin}\n${body[0]}`), 0xa0, ...Buffer.from(`\n${body.slice(1).join('\n')}\n${end}\n`)]));
  // Padding: an SSHSIG whose base64 ends in "==" (length ≡ 1 mod 3), by sizing the reserved field.
  let padded = rebuild(sig, { reserved: new Uint8Array(0) });
  for (let n = 1; padded.length % 3 !== 1; n++) padded = rebuild(sig, { reserved: new Uint8Array(n) });
  const p64 = Buffer.from(padded).toString('base64');
  expect(p64.endsWith('==')).toBe(true);
  const armP = (name: string, expectOk: boolean, text: string) => add({ name: `armor: ${name}`, expect: expectOk, armored: text, allowedSigners: allowed });
  armP('"==" padding (good)', true, `${begin}\n${p64}\n${end}\n`);
  armP('padding removed', false, `${begin}\n${p64.replace(/=+$/, '')}\n${end}\n`);
  armP('one "=" of two', false, `${begin}\n${p64.slice(0, -1)}\n${end}\n`);
  armP('whitespace between the two "="', true, `${begin}\n${p64.slice(0, -1)} \n=\n${end}\n`);
  armP('an extra "="', false, `${begin}\n${p64}=\n${end}\n`);
  armP('base64 after the padding', false, `${begin}\n${p64}\nAAAA\n${end}\n`);
  const last = p64.at(-3)!;
  const ALPHA = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const dirty = ALPHA[(ALPHA.indexOf(last) & ~0x0f) | 0x05];
  armP('non-zero padding bits (a subliminal channel b64_pton refuses)', false, `${begin}\n${p64.slice(0, -3)}${dirty}==\n${end}\n`);
}

// ---- the OpenSSH regression vector (a real browser) ----
{
  const sig = dearmorSshSig(readFileSync(path.join(FIXTURES, 'ecdsa_sk_webauthn.sig'), 'utf8'));
  const as = readFileSync(path.join(FIXTURES, 'allowed_signers'), 'utf8');
  const ns = readFileSync(path.join(FIXTURES, 'namespace'), 'utf8').trim();
  const m = new Uint8Array(readFileSync(path.join(FIXTURES, 'signed-data')));
  add({ name: 'OpenSSH webauthn vector', expect: true, sig, allowedSigners: as, identity: 'test@mindrot', namespace: ns, message: m });
  add({ name: 'OpenSSH webauthn vector, altered message', expect: false, sig, allowedSigners: as, identity: 'test@mindrot', namespace: ns, message: otherMessage });
  add({ name: 'OpenSSH webauthn vector, other namespace', expect: false, sig, allowedSigners: as, identity: 'test@mindrot', namespace: NS, message: m });
}

const utcStamp = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z').replace('T', '');

// ssh-keygen runs, at most 8 at a time.
const limit = limiter(8);
const stock = await Promise.all(
  cases.map((c, i) =>
    limit(() =>
      sshKeygenVerify(
        tmp.dir,
        {
          allowedSigners: c.allowedSigners,
          identity: c.identity ?? ALICE,
          namespace: c.namespace ?? NS,
          signature: c.armored ?? armorSshSig(c.sig!),
          message: c.message ?? message,
          verifyTime: c.now ? utcStamp(c.now) : undefined,
        },
        `case${i}`,
      ),
    ),
  ),
);

describe('our verifier and ssh-keygen -Y verify agree', () => {
  it('has at least 50 cases, both verdicts represented', () => {
    expect(cases.length).toBeGreaterThanOrEqual(50);
    expect(cases.some((c) => c.expect)).toBe(true);
    expect(cases.some((c) => !c.expect)).toBe(true);
  });

  it.each(cases.map((c, i) => [c.name, i] as const))('%s', (_name, i) => {
    const c = cases[i];
    const ours = oursVerify(c);
    const verdicts = { ours: ours.ok, stock: stock[i].ok };
    expect(verdicts, `ours: ${ours.ok ? 'good' : ours.reason}\nssh-keygen: ${stock[i].output}`).toEqual({ ours: c.expect, stock: c.expect });
    if (!ours.ok) expect(ours.reason.length).toBeGreaterThan(10);
  });
});

/** Our verdict on a case: armor cases are dearmored first, as `countersign verify-sig` does. */
function oursVerify(c: Case): { ok: true } | { ok: false; reason: string } {
  let signature: Uint8Array;
  try {
    signature = c.armored !== undefined ? dearmorSshSig(c.armored) : c.sig!;
  } catch (e) {
    if (e instanceof CountersignError) return { ok: false, reason: e.message };
    throw e;
  }
  return verifySshSig({
    signature,
    message: c.message ?? message,
    namespace: c.namespace ?? NS,
    allowedSigners: parseAllowedSignersLenient(c.allowedSigners).signers,
    identity: c.identity ?? ALICE,
    now: c.now,
  });
}

describe('the gate gives the same wire-level verdicts (a note line carries the binary SSHSIG)', () => {
  // Every binary case that verifies the statement the gate rebuilds (default message, identity
  // and namespace, verified now), as one note line through evaluateLines, under a policy that
  // adds nothing to stock OpenSSH (no flags required, every RP ID and origin in the cases named).
  const policy = parsePolicy(
    formatPolicy({
      repository: statement.repository,
      threshold: 1,
      excludeAuthor: false,
      requireUserPresence: false,
      requireUserVerification: false,
      rpIds: [RP, 'localhost'],
      origins: [ORIGIN, 'http://localhost:3000'],
    }),
  );
  const gateCases = cases.flatMap((c, i) => (c.sig && !c.armored && !c.identity && !c.namespace && !c.message && !c.now ? [[c.name, i] as const] : []));

  it('covers the wire cases', () => {
    expect(gateCases.length).toBeGreaterThanOrEqual(60);
    expect(gateCases.filter(([name]) => name.startsWith('cstring:')).length).toBeGreaterThanOrEqual(20);
  });

  it.each(gateCases)('%s', (_name, i) => {
    const c = cases[i];
    const noteLine = formatNoteLine({ verdict: statement.verdict, signer: statement.signer, time: statement.time, signature: c.sig! });
    const input = {
      lines: [noteLine],
      repository: statement.repository,
      commit: statement.commit,
      tree: statement.tree,
      exclusions: [],
      policy,
      allowedSigners: parseAllowedSignersLenient(c.allowedSigners).signers,
      now: new Date(),
    };
    const [verdict] = evaluateLines(input).lines;
    expect({ gate: verdict.ok }, `gate: ${verdict.reason ?? 'good'}\nssh-keygen: ${stock[i].output}`).toEqual({ gate: stock[i].ok });
  });
});

describe('policy on top of OpenSSH (stock ssh-keygen checks none of it)', () => {
  const sig0 = good(pkA, { flags: 0 });
  const sigUP = good(pkA, { flags: FLAG_UP });
  const base = { message, namespace: NS, allowedSigners: parseAllowedSignersLenient(asA).signers, identity: ALICE };

  it('flags 0x00 verifies in stock terms but fails requireUserPresence', async () => {
    const s = await sshKeygenVerify(tmp.dir, { allowedSigners: asA, identity: ALICE, namespace: NS, signature: armorSshSig(sig0), message });
    expect(s.ok).toBe(true);
    expect(verifySshSig({ ...base, signature: sig0 }).ok).toBe(true);
    const r = verifySshSig({ ...base, signature: sig0, requireUserPresence: true });
    expect(r).toMatchObject({ ok: false, failure: 'user-presence' });
  });

  it('UP without UV fails requireUserVerification only', () => {
    expect(verifySshSig({ ...base, signature: sigUP, requireUserPresence: true }).ok).toBe(true);
    expect(verifySshSig({ ...base, signature: sigUP, requireUserVerification: true })).toMatchObject({ ok: false, failure: 'user-verification' });
  });

  it('origins restrict passkey signatures; the good origin passes', () => {
    const sig = good(pkA);
    expect(verifySshSig({ ...base, signature: sig, origins: [ORIGIN], requireUserVerification: true, requireUserPresence: true })).toMatchObject({
      ok: true,
      origin: ORIGIN,
      flags: FLAG_UP | FLAG_UV,
    });
    expect(verifySshSig({ ...base, signature: sig, origins: ['https://elsewhere.example'] })).toMatchObject({ ok: false, failure: 'origin' });
  });

  it('plain keys carry no flags or origin, so flag and origin policy does not apply to them', () => {
    const r = verifySshSig({
      ...base,
      signature: kgEdSig,
      allowedSigners: parseAllowedSignersLenient(line(ALICE, kgEd.key)).signers,
      requireUserPresence: true,
      requireUserVerification: true,
      origins: [ORIGIN],
    });
    expect(r).toMatchObject({ ok: true, signatureType: 'ssh-ed25519' });
  });
});

