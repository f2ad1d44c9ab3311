import { CountersignError } from '../errors';

/**
 * WebAuthn returns ECDSA signatures as ASN.1 DER `SEQUENCE { INTEGER r, INTEGER s }`;
 * OpenSSH carries them as two mpints. These helpers convert between the DER form, plain
 * magnitudes, and the fixed 64-byte r || s form node:crypto verifies ('ieee-p1363').
 */

export interface EcdsaRS {
  /** Big-endian magnitudes without leading zeros. */
  r: Uint8Array;
  s: Uint8Array;
}

function fail(msg: string): never {
  throw new CountersignError('bad-signature', `ECDSA signature (DER): ${msg}`);
}

function readLength(der: Uint8Array, pos: number): [number, number] {
  if (pos >= der.length) fail('truncated length');
  const first = der[pos];
  if (first < 0x80) return [first, pos + 1];
  const n = first & 0x7f;
  if (n === 0 || n > 2) fail('unsupported length encoding');
  if (pos + 1 + n > der.length) fail('truncated length');
  let len = 0;
  for (let i = 0; i < n; i++) len = (len << 8) | der[pos + 1 + i];
  if (len < 0x80) fail('non-minimal length encoding');
  return [len, pos + 1 + n];
}

function readInteger(der: Uint8Array, pos: number, name: string): [Uint8Array, number] {
  if (der[pos] !== 0x02) fail(`expected INTEGER for ${name}`);
  const [len, start] = readLength(der, pos + 1);
  if (len === 0) fail(`${name} is empty`);
  if (start + len > der.length) fail(`${name} is truncated`);
  const body = der.subarray(start, start + len);
  if ((body[0] & 0x80) !== 0) fail(`${name} is negative`);
  let i = 0;
  while (i < body.length && body[i] === 0) i++;
  return [body.slice(i), start + len];
}

/** Parses a DER ECDSA signature; throws CountersignError('bad-signature') if it is not one. */
export function derToRS(der: Uint8Array): EcdsaRS {
  if (der.length < 8 || der[0] !== 0x30) fail('does not start with a SEQUENCE');
  const [seqLen, start] = readLength(der, 1);
  if (start + seqLen !== der.length) fail('SEQUENCE length does not match the data (truncated or trailing bytes)');
  const [r, afterR] = readInteger(der, start, 'r');
  const [s, afterS] = readInteger(der, afterR, 's');
  if (afterS !== der.length) fail('trailing bytes after s');
  return { r, s };
}

function derInteger(m: Uint8Array): Uint8Array {
  let i = 0;
  while (i < m.length - 1 && m[i] === 0) i++;
  let body = m.subarray(i);
  if (body.length === 0) body = Uint8Array.of(0);
  const pad = (body[0] & 0x80) !== 0 ? 1 : 0;
  const out = new Uint8Array(2 + pad + body.length);
  out[0] = 0x02;
  out[1] = pad + body.length;
  out.set(body, 2 + pad);
  return out;
}

/** Encodes r and s (magnitudes) as DER; for P-256 the result is always under 128 bytes. */
export function rsToDer({ r, s }: EcdsaRS): Uint8Array {
  const ri = derInteger(r);
  const si = derInteger(s);
  const out = new Uint8Array(2 + ri.length + si.length);
  out[0] = 0x30;
  out[1] = ri.length + si.length;
  out.set(ri, 2);
  out.set(si, 2 + ri.length);
  return out;
}

/**
 * r || s, each left-padded to `size` bytes, or null if a value is longer than that (it
 * cannot then be below the group order, so the signature is simply invalid).
 */
export function rsToFixed({ r, s }: EcdsaRS, size = 32): Uint8Array | null {
  let ri = 0;
  while (ri < r.length && r[ri] === 0) ri++;
  let si = 0;
  while (si < s.length && s[si] === 0) si++;
  const rm = r.subarray(ri);
  const sm = s.subarray(si);
  if (rm.length > size || sm.length > size) return null;
  const out = new Uint8Array(size * 2);
  out.set(rm, size - rm.length);
  out.set(sm, size * 2 - sm.length);
  return out;
}

/** Splits a fixed-width r || s signature into magnitudes. */
export function fixedToRS(sig: Uint8Array): EcdsaRS {
  if (sig.length % 2 !== 0) throw new CountersignError('bad-signature', 'fixed-width ECDSA signature has odd length');
  const h = sig.length / 2;
  const strip = (b: Uint8Array) => {
    let i = 0;
    while (i < b.length && b[i] === 0) i++;
    return b.slice(i);
  };
  return { r: strip(sig.subarray(0, h)), s: strip(sig.subarray(h)) };
}
