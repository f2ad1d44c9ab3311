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
import { formatPublicKey, skEcdsaKey, type SshPublicKey } from '../../lib/ssh/public-key';
import { FLAG_UP, FLAG_UV } from '../../lib/ssh/signature';
import { SshReader, SshWriter } from '../../lib/ssh/wire';
import { armorSshSig, dearmorSshSig, parseSshSig, signedDataBlob, verifySshSig } from '../../lib/sshsig';
import { DEFAULT_NAMESPACE, statementBytes } from '../../lib/statement/statement';
import {
  createPasskey,
  createSoftSshKey,
  getAssertion,
  packageUnchecked,
  passkeySshSig,
  skSshSig,
  softSshSig,
  type SoftPasskey,
} from '../support/soft-authenticator';
import { limiter, makeKey, makeTempDir, sshKeygenSign, sshKeygenVerify } from '../support/ssh-keygen';

const NS = DEFAULT_NAMESPACE;
const ORIGIN = 'https://sign.example.org';
const RP = 'sign.example.org';
const ALICE = 'alice@example.org';
const FIXTURES = path.join(import.meta.dirname, '../fixtures/openssh-webauthn');

const message = statementBytes({
  repository: 'https://git.example.org/countersign.git',
  commit: 'a'.repeat(40),
  tree: 'b'.repeat(40),
  verdict: 'approve',
  signer: ALICE,
  time: '2026-06-01T12:00:00Z',
});
const otherMessage = new TextEncoder().encode(new TextDecoder().decode(message).replace('approve', 'reject'));

interface Case {
  name: string;
  expect: boolean;
  sig: Uint8Array;
  /** Armored text for ssh-keygen; default armorSshSig(sig). */
  armored?: string;
  allowedSigners: string;
  identity?: string;
  namespace?: string;
  message?: Uint8Array;
  /** Verification time (passed to ssh-keygen as -O verify-time). */
  now?: Date;
}

const line = (principals: string, key: SshPublicKey, options?: string) =>
  `${principals} ${options ? options + ' ' : ''}${formatPublicKey(key)}\n`;

/** Rebuilds an SSHSIG with some fields replaced (for malformed cases). */
function rebuild(
  sig: Uint8Array,
  o: { version?: number; keyBlob?: Uint8Array; namespace?: string; reserved?: Uint8Array; hashAlg?: string; inner?: Uint8Array },
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
          signature: c.armored ?? armorSshSig(c.sig),
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
    const ours = verifySshSig({
      signature: c.sig,
      message: c.message ?? message,
      namespace: c.namespace ?? NS,
      allowedSigners: parseAllowedSignersLenient(c.allowedSigners).signers,
      identity: c.identity ?? ALICE,
      now: c.now,
    });
    const verdicts = { ours: ours.ok, stock: stock[i].ok };
    expect(verdicts, `ours: ${ours.ok ? 'good' : ours.reason}\nssh-keygen: ${stock[i].output}`).toEqual({ ours: c.expect, stock: c.expect });
    if (!ours.ok) expect(ours.reason.length).toBeGreaterThan(10);
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

