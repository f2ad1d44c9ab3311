import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { derToRS, fixedToRS, rsToDer, rsToFixed } from './ecdsa-der';

const fromHex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

describe('ECDSA DER <-> r, s', () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  it('round-trips node:crypto signatures and agrees with the fixed-width form', () => {
    for (let i = 0; i < 200; i++) {
      const data = Buffer.from(`m${i}`);
      const der = new Uint8Array(sign('sha256', data, privateKey));
      const rs = derToRS(der);
      expect(rs.r[0]).not.toBe(0);
      expect(rsToDer(rs)).toEqual(der);
      const fixed = rsToFixed(rs)!;
      expect(fixed).toHaveLength(64);
      expect(fixedToRS(fixed)).toEqual(rs);
    }
  });

  it('strips the DER sign byte and keeps short values short', () => {
    // r = 0x00ff.. (33 bytes in DER, top bit set), s = 0x01 (one byte)
    const der = fromHex('3026' + '0221' + '00' + 'ff'.repeat(32) + '0201' + '01');
    const { r, s } = derToRS(der);
    expect(r).toHaveLength(32);
    expect(Array.from(s)).toEqual([1]);
  });

  it.each([
    ['not a sequence', '3106020101020101'],
    ['length mismatch (truncated)', '3007020101020101'],
    ['trailing bytes', '300602010102010100'],
    ['negative r', '3006020181020101'],
    ['empty integer', '30050200020101' + ''],
    ['wrong tag for s', '3006020101030101'],
  ])('refuses %s', (_n, h) => {
    expect(() => derToRS(fromHex(h))).toThrow(/ECDSA signature \(DER\)/);
  });

  it('reports an r longer than the curve as unrepresentable (an invalid signature)', () => {
    expect(rsToFixed({ r: new Uint8Array(33).fill(1), s: Uint8Array.of(1) })).toBeNull();
  });
});
