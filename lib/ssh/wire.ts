import { CountersignError, type CountersignErrorCode } from '../errors';

/**
 * The SSH wire encoding (RFC 4251 §5) as OpenSSH's sshbuf reads it:
 * `uint32` big-endian, `string` = uint32 length + bytes, `mpint` = two's-complement
 * big-endian in a string. The reader throws a CountersignError with the code its caller
 * chose ('bad-signature' while reading a signature, 'bad-key' while reading a key), so a
 * truncated or padded blob becomes one clear message rather than a RangeError.
 */

/** OpenSSH refuses bignums longer than SSHBUF_MAX_BIGNUM (16384 bits) plus one sign byte. */
const MAX_MPINT_BYTES = 16384 / 8 + 1;

// ignoreBOM keeps a leading U+FEFF in the text: stripping it would make "\uFEFFssh-ed25519"
// compare equal to "ssh-ed25519", which OpenSSH's strcmp does not.
const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

export class SshReader {
  private pos = 0;
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly code: CountersignErrorCode = 'bad-signature',
    private readonly what = 'SSH data',
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(message: string): never {
    throw new CountersignError(this.code, `${this.what}: ${message}`);
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  get offset(): number {
    return this.pos;
  }

  private need(n: number, field: string): void {
    if (this.remaining < n) this.fail(`truncated while reading ${field} (needs ${n} bytes, ${this.remaining} left)`);
  }

  byte(field = 'byte'): number {
    this.need(1, field);
    return this.bytes[this.pos++];
  }

  uint32(field = 'uint32'): number {
    this.need(4, field);
    const v = this.view.getUint32(this.pos, false);
    this.pos += 4;
    return v;
  }

  /** Raw bytes (no length prefix). */
  raw(n: number, field = 'bytes'): Uint8Array {
    this.need(n, field);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  string(field = 'string'): Uint8Array {
    const len = this.uint32(`length of ${field}`);
    if (len > this.remaining) this.fail(`truncated: ${field} claims ${len} bytes but only ${this.remaining} remain`);
    return this.raw(len, field);
  }

  /**
   * A string used as text, read as OpenSSH's sshbuf_get_cstring reads it: a NUL is allowed
   * only as the string's last byte (C code then sees the text before it, so the NUL is
   * dropped here too); a NUL anywhere else is refused. Bytes are decoded as UTF-8 for display;
   * compare the bytes (cstringBytes) where OpenSSH compares them with strcmp.
   */
  cstring(field = 'string'): string {
    return utf8.decode(this.cstringBytes(field));
  }

  cstringBytes(field = 'string'): Uint8Array {
    const b = this.string(field);
    const nul = b.indexOf(0);
    if (nul === -1) return b;
    if (nul !== b.length - 1) this.fail(`${field} contains a NUL byte before its end`);
    return b.subarray(0, nul);
  }

  /**
   * A non-negative mpint as its magnitude without leading zeros (empty for zero).
   * Mirrors sshbuf_get_bignum2_bytes_direct: a set top bit means negative and is refused,
   * over-long values are refused, and redundant leading zeros are tolerated.
   */
  mpint(field = 'mpint'): Uint8Array {
    const b = this.string(field);
    if (b.length > 0 && (b[0] & 0x80) !== 0) this.fail(`${field} is negative`);
    if (b.length > MAX_MPINT_BYTES || (b.length === MAX_MPINT_BYTES && b[0] !== 0)) this.fail(`${field} is too large`);
    let i = 0;
    while (i < b.length && b[i] === 0) i++;
    return b.subarray(i);
  }

  /** Throws if anything is left: OpenSSH refuses trailing data at every level. */
  end(context = this.what): void {
    if (this.remaining !== 0) this.fail(`${this.remaining} unexpected trailing byte(s) after ${context}`);
  }
}

const utf8enc = new TextEncoder();

/** Builds SSH wire data; every put returns `this` so a blob reads as one expression. */
export class SshWriter {
  private chunks: Uint8Array[] = [];
  private length = 0;

  private push(b: Uint8Array): this {
    this.chunks.push(b);
    this.length += b.length;
    return this;
  }

  raw(b: Uint8Array | string): this {
    return this.push(typeof b === 'string' ? utf8enc.encode(b) : b);
  }

  byte(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError(`byte out of range: ${v}`);
    return this.push(Uint8Array.of(v));
  }

  uint32(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`uint32 out of range: ${v}`);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, false);
    return this.push(b);
  }

  string(b: Uint8Array | string): this {
    const bytes = typeof b === 'string' ? utf8enc.encode(b) : b;
    return this.uint32(bytes.length).push(bytes);
  }

  /** Encodes a non-negative big-endian magnitude as an mpint (see encodeMpint). */
  mpint(magnitude: Uint8Array): this {
    return this.string(encodeMpint(magnitude));
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

/**
 * RFC 4251 mpint body for a non-negative magnitude: strip leading zero bytes (zero becomes
 * the empty string), then prepend one 0x00 when the top bit is set so it does not read as
 * negative. About half of all ECDSA r/s values need that extra byte; some are shorter than
 * 32 bytes.
 */
export function encodeMpint(magnitude: Uint8Array): Uint8Array {
  let i = 0;
  while (i < magnitude.length && magnitude[i] === 0) i++;
  const m = magnitude.subarray(i);
  if (m.length > 0 && (m[0] & 0x80) !== 0) {
    const out = new Uint8Array(m.length + 1);
    out.set(m, 1);
    return out;
  }
  return m.slice();
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
