import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllowedSigners } from '../allowed-signers';
import { formatPublicKey } from '../ssh/public-key';
import { SshWriter } from '../ssh/wire';
import { makeTempDir, run, sshKeygenSign, SSH_KEYGEN } from '../../tests/support/ssh-keygen';
import {
  createPasskey,
  createSoftSshKey,
  getAssertion,
  packageUnchecked,
  passkeySshSig,
  softSshSig,
} from '../../tests/support/soft-authenticator';
import { dearmorSshSig, parseSshSig } from './format';
import { signedDataBlob } from './signed-data';
import { checkSshSig, verifySshSig, verifySshSigWithKey } from './verify';

const NS = 'countersign-review@countersign.dev';
const ORIGIN = 'https://sign.example.org';
const message = new TextEncoder().encode('countersign review statement v1\n');
const pk = createPasskey({ rpId: 'sign.example.org' });
const signers = parseAllowedSigners(`alice@example.org ${formatPublicKey(pk.sshKey)}\n`);
const sig = passkeySshSig(pk, { message, namespace: NS, origin: ORIGIN }).sshsig;
const base = { signature: sig, message, namespace: NS, allowedSigners: signers, identity: 'alice@example.org' };

const tmp = await makeTempDir();
afterAll(() => tmp.cleanup());

describe('verifySshSig', () => {
  it('accepts a packaged passkey assertion and reports key, fingerprint, flags, counter, origin and the line', () => {
    const r = verifySshSig(base);
    expect(r).toMatchObject({
      ok: true,
      signatureType: 'webauthn-sk-ecdsa-sha2-nistp256@openssh.com',
      flags: 0x05,
      origin: ORIGIN,
      signer: { line: 1, principals: 'alice@example.org' },
    });
    if (r.ok) expect(r.fingerprint).toMatch(/^SHA256:/);
  });

  it.each([
    ['malformed', { signature: sig.subarray(0, 50) }, /truncated/],
    ['namespace', { namespace: 'git' }, /made for namespace "countersign-review@countersign.dev", expected "git"/],
    ['signature', { message: new TextEncoder().encode('other') }, /challenge is not the signed data/],
    ['not-allowed', { identity: 'bob@example.org' }, /key SHA256:\S+ is listed for "alice@example.org", not for identity "bob@example.org"/],
  ] as const)('classifies a %s failure with a specific reason', (failure, change, reason) => {
    const r = verifySshSig({ ...base, ...change });
    expect(r).toMatchObject({ ok: false, failure });
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it('says when no line names the identity at all', () => {
    const r = verifySshSig({ ...base, allowedSigners: [] });
    expect(r).toMatchObject({ ok: false, failure: 'not-allowed' });
    if (!r.ok) expect(r.reason).toBe('no allowed_signers entry matches identity "alice@example.org"');
  });

  it('reports expired and not-yet-valid keys, with the line and times', () => {
    const line = (opt: string) => parseAllowedSigners(`alice@example.org ${opt} ${formatPublicKey(pk.sshKey)}\n`, '.countersign/allowed_signers');
    const now = new Date('2026-06-01T00:00:00Z');
    const expired = verifySshSig({ ...base, now, allowedSigners: line('valid-before="20260101Z"') });
    expect(expired).toMatchObject({ ok: false, failure: 'expired' });
    if (!expired.ok) expect(expired.reason).toMatch(/\.countersign\/allowed_signers line 1: the key has expired \(valid-before 20260101000000Z/);
    expect(verifySshSig({ ...base, now, allowedSigners: line('valid-after="20270101Z"') })).toMatchObject({ ok: false, failure: 'not-yet-valid' });
    const ns = verifySshSig({ ...base, now, allowedSigners: line('namespaces="git"') });
    expect(ns).toMatchObject({ ok: false, failure: 'not-allowed' });
    if (!ns.ok) expect(ns.reason).toMatch(/not permitted for namespace/);
  });

  it('says which key signed when it is not the listed one', () => {
    const other = createPasskey({ rpId: 'sign.example.org' });
    const r = verifySshSig({ ...base, signature: passkeySshSig(other, { message, namespace: NS, origin: ORIGIN }).sshsig });
    expect(r).toMatchObject({ ok: false, failure: 'not-allowed' });
    if (!r.ok) expect(r.reason).toMatch(/key SHA256:\S+ is not an allowed signer for "alice@example.org"/);
  });

  it('explains OpenSSH webauthn refusals', () => {
    const a = (o: Parameters<typeof getAssertion>[1]) => packageUnchecked(pk.sshKey, getAssertion(pk, o), { namespace: NS });
    const challenge = signedDataBlob(NS, message);
    const reason = (s: Uint8Array) => {
      const r = verifySshSig({ ...base, signature: s });
      return r.ok ? 'ok' : r.reason;
    };
    expect(reason(a({ challenge, origin: ORIGIN, flags: 0x45 }))).toMatch(/AT flag/);
    expect(reason(a({ challenge, origin: ORIGIN, type: 'webauthn.create' }))).toMatch(/type is "webauthn.create"/);
    expect(reason(a({ challenge, origin: ORIGIN, memberOrder: ['challenge', 'type', 'origin'] }))).toMatch(/order challenge, type, origin/);
    expect(reason(a({ challenge, origin: ORIGIN, rpId: 'evil.example' }))).toMatch(/RP ID other than "sign.example.org"/);
  });

  it('refuses RSA signatures by ssh-keygen as unsupported, with the reason', async () => {
    const key = `${tmp.dir}/rsa`;
    expect((await run(SSH_KEYGEN, ['-q', '-t', 'rsa', '-b', '1024', '-N', '', '-f', key])).code).toBe(0);
    const s = dearmorSshSig(await sshKeygenSign(key, NS, message));
    const r = verifySshSig({ ...base, signature: s });
    expect(r).toMatchObject({ ok: false, failure: 'unsupported' });
    if (!r.ok) expect(r.reason).toMatch(/RSA keys are not supported/);
  });

  it('refuses a hash algorithm other than sha512/sha256 as unsupported', () => {
    const k = createSoftSshKey('ed25519');
    const s = softSshSig(k, { message, namespace: NS });
    const p = parseSshSig(s);
    const bad = new SshWriter().raw('SSHSIG').uint32(1).string(p.publicKey.blob).string(NS).string('').string('sha1').string(p.signature).bytes();
    const r = checkSshSig({ signature: bad, message, namespace: NS });
    expect(r).toMatchObject({ ok: false, failure: 'unsupported' });
    if (!r.ok) expect(r.reason).toMatch(/hash algorithm "sha1" is not allowed/);
  });

  it('never throws on garbage or mutated signatures', () => {
    for (let i = 0; i < 400; i++) {
      const m = sig.slice();
      const n = 1 + (i % 4);
      for (let j = 0; j < n; j++) m[randomBytes(2).readUInt16BE() % m.length] = randomBytes(1)[0];
      const r = verifySshSig({ ...base, signature: i % 10 === 0 ? new Uint8Array(randomBytes(i)) : m });
      expect(typeof r.ok).toBe('boolean');
      if (!r.ok) expect(r.reason).toBeTruthy();
    }
  });
});

describe('verifySshSigWithKey (one known key, e.g. the credential the app registered)', () => {
  it('accepts the right key and refuses another, with both fingerprints', () => {
    expect(verifySshSigWithKey({ signature: sig, message, namespace: NS, publicKey: pk.sshKey, requireUserVerification: true, origins: [ORIGIN] }).ok).toBe(true);
    const other = createPasskey({ rpId: 'sign.example.org' });
    const r = verifySshSigWithKey({ signature: sig, message, namespace: NS, publicKey: other.sshKey });
    expect(r).toMatchObject({ ok: false, failure: 'not-allowed' });
    if (!r.ok) expect(r.reason).toMatch(/signature is by key SHA256:\S+, expected SHA256:/);
  });

  it('applies the same policy', () => {
    const s = passkeySshSig(pk, { message, namespace: NS, origin: ORIGIN, flags: 0x01 }).sshsig;
    expect(verifySshSigWithKey({ signature: s, message, namespace: NS, publicKey: pk.sshKey, requireUserVerification: true })).toMatchObject({
      ok: false,
      failure: 'user-verification',
    });
  });
});
