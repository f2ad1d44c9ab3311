import { describe, expect, it } from 'vitest';
import { CountersignError } from '../errors';
import { errorOf } from '../../tests/support/errors';
import { cborEncode, createPasskey } from '../../tests/support/soft-authenticator';
import { fingerprintSha256, formatPublicKey } from '../ssh/public-key';
import { parseAllowedSigners } from '../allowed-signers';
import { allowedSignersLine } from './allowed-signers-line';
import { sshKeyFromCose } from './cose-key';

describe('COSE credential key -> OpenSSH key', () => {
  it('turns an ES256 passkey into sk-ecdsa-sha2-nistp256@openssh.com with application = RP ID', () => {
    const pk = createPasskey({ rpId: 'sign.example.org' });
    const key = sshKeyFromCose(pk.cosePublicKey, 'sign.example.org');
    expect(key.type).toBe('sk-ecdsa-sha2-nistp256@openssh.com');
    expect(key.application).toBe('sign.example.org');
    expect(key.blob).toEqual(pk.sshKey.blob);
    expect(formatPublicKey(key)).toMatch(/^sk-ecdsa-sha2-nistp256@openssh\.com AAAAInNrLWVjZHNh/);
    expect(fingerprintSha256(key)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it('gives a different key for another RP ID', () => {
    const pk = createPasskey({ rpId: 'a.example' });
    expect(fingerprintSha256(sshKeyFromCose(pk.cosePublicKey, 'b.example'))).not.toBe(fingerprintSha256(pk.sshKey));
  });

  it.each([
    ['RS256', new Map<number, number | Uint8Array>([[1, 3], [3, -257], [-1, new Uint8Array(256).fill(1)], [-2, Uint8Array.of(1, 0, 1)]]), /RS256/],
    ['EdDSA', new Map<number, number | Uint8Array>([[1, 1], [3, -8], [-1, 6], [-2, new Uint8Array(32)]]), /EdDSA/],
    ['ES384', new Map<number, number | Uint8Array>([[1, 2], [3, -35], [-1, 2], [-2, new Uint8Array(48)], [-3, new Uint8Array(48)]]), /ES384/],
  ])('refuses %s, explaining that OpenSSH has a WebAuthn type only for ES256', (_n, map, alg) => {
    const e = errorOf(() => sshKeyFromCose(cborEncode(map), 'sign.example.org'));
    expect(e.code).toBe('unsupported-algorithm');
    expect(e.message).toMatch(alg);
    expect(e.message).toMatch(/OpenSSH has a WebAuthn signature type only for ES256/);
  });

  it('refuses malformed keys as bad-key', () => {
    const pk = createPasskey({ rpId: 'x.example' });
    expect(errorOf(() => sshKeyFromCose(pk.cosePublicKey.subarray(0, 40), 'x.example')).code).toBe('bad-key');
    expect(errorOf(() => sshKeyFromCose(new Uint8Array([...pk.cosePublicKey, 0]), 'x.example')).message).toMatch(/trailing/);
    const offCurve = pk.cosePublicKey.slice();
    offCurve[offCurve.length - 1] ^= 1;
    expect(errorOf(() => sshKeyFromCose(offCurve, 'x.example')).message).toMatch(/not on the P-256 curve/);
    expect(errorOf(() => sshKeyFromCose(cborEncode([1, 2]), 'x.example')).message).toMatch(/not a CBOR map/);
    expect(errorOf(() => sshKeyFromCose(pk.cosePublicKey, '')).code).toBe('bad-input');
  });
});

describe('allowedSignersLine', () => {
  const pk = createPasskey({ rpId: 'sign.example.org' });

  it('writes a line that parses back to the same key, principal and namespace', () => {
    const line = allowedSignersLine('alice@example.org', pk.sshKey, { namespaces: 'countersign-review@countersign.dev' });
    expect(line).toBe(`alice@example.org namespaces="countersign-review@countersign.dev" ${formatPublicKey(pk.sshKey)}`);
    const [s] = parseAllowedSigners(line);
    expect(s).toMatchObject({ principals: 'alice@example.org', namespaces: 'countersign-review@countersign.dev' });
    expect(s.key.blob).toEqual(pk.sshKey.blob);
  });

  it('can carry a validity window and a comment', () => {
    const line = allowedSignersLine(['alice@example.org', 'alice@corp.example'], pk.sshKey, {
      validAfter: new Date('2026-01-01T00:00:00Z'),
      validBefore: new Date('2027-01-01T00:00:00Z'),
      comment: 'alice phone',
    });
    expect(line).toMatch(/^alice@example\.org,alice@corp\.example valid-after="20260101000000Z",valid-before="20270101000000Z" sk-ecdsa\S+ \S+ alice phone$/);
    expect(parseAllowedSigners(line)[0]).toMatchObject({ validAfter: Date.UTC(2026, 0, 1) / 1000, validBefore: Date.UTC(2027, 0, 1) / 1000 });
  });

  it.each(['', 'alice smith', 'a"b', '!alice', 'a,b'])('refuses principal %j', (p) => {
    expect(() => allowedSignersLine(p, pk.sshKey)).toThrow(CountersignError);
  });
});
