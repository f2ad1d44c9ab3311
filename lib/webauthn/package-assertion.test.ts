import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { derToRS, rsToDer } from '../ssh/ecdsa-der';
import { SshReader, encodeMpint } from '../ssh/wire';
import { parseSignatureBlob } from '../ssh/signature';
import { dearmorSshSig, parseSshSig } from '../sshsig/format';
import { signedDataBlob } from '../sshsig/signed-data';
import { verifySshSigWithKey } from '../sshsig/verify';
import { errorOf } from '../../tests/support/errors';
import { createPasskey, getAssertion } from '../../tests/support/soft-authenticator';
import { packageAssertion } from './package-assertion';

const NS = 'countersign-review@countersign.dev';
const ORIGIN = 'https://sign.example.org';
const message = new TextEncoder().encode('countersign review statement v1\n');
const pk = createPasskey({ rpId: 'sign.example.org' });

describe('packageAssertion', () => {
  it('rebuilds the OpenSSH regression vector byte for byte from its WebAuthn parts', () => {
    const dir = path.join(import.meta.dirname, '../../tests/fixtures/openssh-webauthn');
    const vector = dearmorSshSig(readFileSync(path.join(dir, 'ecdsa_sk_webauthn.sig'), 'utf8'));
    const p = parseSshSig(vector);
    const w = parseSignatureBlob(p.publicKey, p.signature);
    if (w.type !== 'webauthn-sk-ecdsa-sha2-nistp256@openssh.com') throw new Error('vector is not webauthn');
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(w.counter);
    const authenticatorData = Buffer.concat([createHash('sha256').update('mindrot.org').digest(), Buffer.from([w.flags]), counter, w.extensions]);
    const rebuilt = packageAssertion({
      publicKey: p.publicKey,
      authenticatorData,
      clientDataJSON: w.clientDataJSON,
      signature: rsToDer(w.rs),
      namespace: 'unittest',
    });
    expect(Buffer.from(rebuilt).toString('hex')).toBe(Buffer.from(vector).toString('hex'));
  });

  it('packages assertions whatever the shape of r and s (high bit, short values)', () => {
    const shapes: ((rs: { r: Uint8Array; s: Uint8Array }) => boolean)[] = [
      ({ r, s }) => r.length === 32 && r[0] >= 0x80 && s.length === 32 && s[0] >= 0x80, // both need the 0x00
      ({ r, s }) => r.length === 32 && r[0] < 0x80 && s.length === 32 && s[0] < 0x80, // neither does
      ({ r }) => r.length < 32, // short r
      ({ s }) => s.length < 32, // short s
    ];
    for (const want of shapes) {
      const challenge = signedDataBlob(NS, message);
      const a = getAssertion(pk, { challenge, origin: ORIGIN, want });
      const sig = packageAssertion({ publicKey: pk.sshKey, ...a, namespace: NS });
      expect(verifySshSigWithKey({ signature: sig, message, namespace: NS, publicKey: pk.sshKey }).ok).toBe(true);
      const inner = parseSignatureBlob(pk.sshKey, parseSshSig(sig).signature);
      if (inner.type !== 'webauthn-sk-ecdsa-sha2-nistp256@openssh.com') throw new Error('type');
      expect(rsToDer(inner.rs)).toEqual(a.signature);
      // On the wire: r and s as canonical mpints (0x00 only before a set top bit, no other padding).
      const rd = new SshReader(parseSshSig(sig).signature);
      rd.cstring();
      const rsRaw = new SshReader(rd.string());
      const { r, s } = derToRS(a.signature);
      expect(rsRaw.string()).toEqual(encodeMpint(r));
      expect(rsRaw.string()).toEqual(encodeMpint(s));
    }
  });

  it('takes flags, counter and extensions from authenticatorData and the origin from clientDataJSON', () => {
    const ext = Uint8Array.of(0xa1, 0x61, 0x78, 0xf5);
    const a = getAssertion(pk, { challenge: signedDataBlob(NS, message, 'sha256'), origin: ORIGIN, counter: 0x01020304, extensions: ext });
    const sig = packageAssertion({ publicKey: pk.sshKey, ...a, namespace: NS, hashAlg: 'sha256' });
    const p = parseSshSig(sig);
    expect(p.hashAlg).toBe('sha256');
    const w = parseSignatureBlob(pk.sshKey, p.signature);
    expect(w).toMatchObject({ flags: 0x85, counter: 0x01020304, origin: ORIGIN, extensions: ext });
    expect(verifySshSigWithKey({ signature: sig, message, namespace: NS, publicKey: pk.sshKey })).toMatchObject({ ok: true, counter: 0x01020304 });
  });

  it.each([
    ['another RP ID', { rpId: 'evil.example' }, /another RP ID/],
    ['the AT flag', { flags: 0x45 }, /registration, not an assertion/],
    ['ED flag without extensions', { flags: 0x81 }, /ED flag/],
    ['reordered clientDataJSON', { memberOrder: ['challenge', 'type', 'origin'] }, /does not begin/],
    ['webauthn.create', { type: 'webauthn.create' }, /does not begin/],
    ['a padded challenge', { challengeEncoding: 'base64url-padded' as const, namespaceForChallenge: 'git' }, /does not begin/],
    ['a challenge for another namespace', { namespaceForChallenge: 'git' }, /made for namespace "git"/],
    ['a challenge that is not signed data', { rawChallenge: new Uint8Array(32) }, /not an SSHSIG signed-data blob/],
  ])('refuses %s with the reason, instead of storing a signature that cannot verify', (_n, o, reason) => {
    const { namespaceForChallenge, rawChallenge, ...ao } = o as Record<string, unknown> & { namespaceForChallenge?: string; rawChallenge?: Uint8Array };
    const challenge = rawChallenge ?? signedDataBlob(namespaceForChallenge ?? NS, message);
    const a = getAssertion(pk, { challenge, origin: ORIGIN, ...(ao as object) });
    const e = errorOf(() => packageAssertion({ publicKey: pk.sshKey, ...a, namespace: NS }));
    expect(e.code).toBe('bad-signature');
    expect(e.message).toMatch(reason);
  });

  it('refuses a non-passkey key and a non-DER signature', () => {
    const a = getAssertion(pk, { challenge: signedDataBlob(NS, message), origin: ORIGIN });
    const other = { ...pk.sshKey, type: 'ssh-ed25519' as const };
    expect(errorOf(() => packageAssertion({ publicKey: other, ...a, namespace: NS })).code).toBe('bad-key');
    expect(errorOf(() => packageAssertion({ publicKey: pk.sshKey, ...a, signature: a.signature.subarray(0, 20), namespace: NS })).message).toMatch(/DER/);
  });
});
