import { describe, expect, it } from 'vitest';
import {
  FINGERPRINT_PALETTE,
  describeFingerprint,
  fingerprintIndexes,
  hash64,
  visualFingerprint,
} from '../../lib/ui/fingerprint';

const A = '3f786850e387550fdab836ed7e6dc881de23001b';

function flipLast(id: string): string {
  const last = id[id.length - 1];
  return id.slice(0, -1) + (last === '0' ? '1' : '0');
}

describe('visual fingerprint of a commit id', () => {
  it('has sixteen distinct, named colours', () => {
    expect(FINGERPRINT_PALETTE).toHaveLength(16);
    expect(new Set(FINGERPRINT_PALETTE.map((c) => c.name)).size).toBe(16);
    expect(new Set(FINGERPRINT_PALETTE.map((c) => c.hex)).size).toBe(16);
    for (const c of FINGERPRINT_PALETTE) expect(c.hex).toMatch(/^#[0-9a-f]{6}$/);
  });

  it('is deterministic and gives 8 blocks by default', () => {
    expect(fingerprintIndexes(A)).toEqual(fingerprintIndexes(A));
    expect(visualFingerprint(A)).toHaveLength(8);
  });

  it('ignores case and surrounding space, as ids are compared', () => {
    expect(fingerprintIndexes(` ${A.toUpperCase()} `)).toEqual(fingerprintIndexes(A));
  });

  it('changes when only the last character of the id changes', () => {
    expect(fingerprintIndexes(flipLast(A))).not.toEqual(fingerprintIndexes(A));
  });

  it('does not follow the id prefix: ids sharing 12 leading digits still differ in most blocks', () => {
    const prefix = A.slice(0, 12);
    let differing = 0;
    let pairs = 0;
    for (let i = 0; i < 200; i++) {
      const tail = (BigInt(i) * 0x9e3779b97f4a7c15n).toString(16).padStart(28, '0').slice(-28);
      const other = prefix + tail;
      if (other === A) continue;
      const a = fingerprintIndexes(A);
      const b = fingerprintIndexes(other);
      differing += a.filter((x, k) => x !== b[k]).length;
      pairs++;
    }
    // Unrelated ids agree on a block 1 time in 16: on average 7.5 of 8 blocks differ.
    expect(differing / pairs).toBeGreaterThan(6.5);
  });

  it('uses every colour across many ids (no dead palette entries)', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) for (const x of fingerprintIndexes(i.toString(16).padStart(40, '0'))) seen.add(x);
    expect(seen.size).toBe(16);
  });

  it('mixes every input bit: one changed character flips about half of the 64 hash bits', () => {
    const a = hash64(A);
    const b = hash64(flipLast(A));
    const flipped = (a ^ b).toString(2).split('').filter((c) => c === '1').length;
    expect(flipped).toBeGreaterThan(16);
    expect(flipped).toBeLessThan(48);
  });

  it('describes itself in colour names for screen readers', () => {
    const words = describeFingerprint(A).split(', ');
    expect(words).toHaveLength(8);
    expect(words).toEqual(visualFingerprint(A).map((c) => c.name));
  });

  it('refuses block counts it cannot draw from 64 bits', () => {
    expect(() => fingerprintIndexes(A, 0)).toThrow(RangeError);
    expect(() => fingerprintIndexes(A, 17)).toThrow(RangeError);
    expect(fingerprintIndexes(A, 16)).toHaveLength(16);
  });
});
