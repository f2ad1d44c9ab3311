/**
 * A short visual fingerprint of a commit id: a row of coloured blocks that two people can
 * compare at a glance ("red, teal, blue…") before reading the full id.
 *
 * It is derived from a hash of the *whole* id rather than its first digits, so it adds
 * information beyond the short id shown next to it: two ids that share a prefix still get
 * unrelated colours. It is an aid for humans, not a security check — the full id is what counts.
 */

export interface PaletteColour {
  name: string;
  hex: string;
}

/**
 * Sixteen colours chosen to be told apart by name and to stay visible on light and dark
 * backgrounds (mid lightness, saturated; brown and grey break up the hue wheel).
 */
export const FINGERPRINT_PALETTE: readonly PaletteColour[] = Object.freeze([
  { name: 'red', hex: '#dc2626' },
  { name: 'orange', hex: '#ea580c' },
  { name: 'amber', hex: '#d97706' },
  { name: 'yellow', hex: '#eab308' },
  { name: 'lime', hex: '#65a30d' },
  { name: 'green', hex: '#16a34a' },
  { name: 'teal', hex: '#0d9488' },
  { name: 'cyan', hex: '#0891b2' },
  { name: 'sky', hex: '#0284c7' },
  { name: 'blue', hex: '#2563eb' },
  { name: 'indigo', hex: '#4f46e5' },
  { name: 'violet', hex: '#7c3aed' },
  { name: 'purple', hex: '#a21caf' },
  { name: 'pink', hex: '#db2777' },
  { name: 'brown', hex: '#92400e' },
  { name: 'grey', hex: '#64748b' },
]);

const FNV64_OFFSET = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;
const MASK64 = (1n << 64n) - 1n;

/** FNV-1a (64-bit) followed by a final avalanche so that every input bit reaches every output nibble. */
export function hash64(text: string): bigint {
  let h = FNV64_OFFSET;
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i) & 0xffff);
    h = (h * FNV64_PRIME) & MASK64;
  }
  // splitmix64 finaliser: FNV alone leaves the last characters' influence in the low bits.
  h ^= h >> 30n;
  h = (h * 0xbf58476d1ce4e5b9n) & MASK64;
  h ^= h >> 27n;
  h = (h * 0x94d049bb133111ebn) & MASK64;
  h ^= h >> 31n;
  return h;
}

/** Palette indexes for `blocks` blocks (at most 16: four bits of the 64-bit hash each). */
export function fingerprintIndexes(id: string, blocks = 8): number[] {
  if (!Number.isInteger(blocks) || blocks < 1 || blocks > 16) throw new RangeError('blocks must be 1–16');
  const h = hash64(id.trim().toLowerCase());
  const out: number[] = [];
  for (let i = 0; i < blocks; i++) out.push(Number((h >> BigInt(60 - 4 * i)) & 0xfn));
  return out;
}

/** The fingerprint as colours, in reading order. */
export function visualFingerprint(id: string, blocks = 8): PaletteColour[] {
  return fingerprintIndexes(id, blocks).map((i) => FINGERPRINT_PALETTE[i]);
}

/** Words a screen reader (or a person on the phone) can compare: "red, teal, blue, …". */
export function describeFingerprint(id: string, blocks = 8): string {
  return visualFingerprint(id, blocks)
    .map((c) => c.name)
    .join(', ');
}
