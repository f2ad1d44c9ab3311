import { describe, expect, it } from 'vitest';
import { CountersignError } from '../errors';
import { SshReader, SshWriter, encodeMpint } from './wire';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const fromHex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

describe('SSH wire writer', () => {
  it('writes uint32 big-endian and strings with a length prefix', () => {
    expect(hex(new SshWriter().uint32(0x01020304).bytes())).toBe('01020304');
    expect(hex(new SshWriter().string('ab').bytes())).toBe('000000026162');
    expect(hex(new SshWriter().string(new Uint8Array(0)).bytes())).toBe('00000000');
    expect(hex(new SshWriter().byte(0xff).bytes())).toBe('ff');
  });

  it('refuses out-of-range numbers instead of wrapping', () => {
    expect(() => new SshWriter().uint32(2 ** 32)).toThrow(RangeError);
    expect(() => new SshWriter().byte(256)).toThrow(RangeError);
  });
});

describe('mpint encoding (RFC 4251)', () => {
  it.each([
    ['zero is the empty string', '', ''],
    ['zero bytes are stripped to empty', '0000', ''],
    ['a small value stays as is', '7f', '7f'],
    ['top bit set gains one 0x00', '80', '0080'],
    ['leading zeros are stripped first', '000000ff01', '00ff01'],
    ['a short 31-byte value keeps its length', '01' + '22'.repeat(30), '01' + '22'.repeat(30)],
    ['a 32-byte value with the top bit becomes 33 bytes', 'ff' + '00'.repeat(31), '00ff' + '00'.repeat(31)],
  ])('%s', (_n, input, out) => {
    expect(hex(encodeMpint(fromHex(input)))).toBe(out);
  });

  it('reads back what it writes, as the magnitude without leading zeros', () => {
    for (const h of ['', '01', '80', 'ff' + '11'.repeat(31), '00' + '7f'.repeat(5)]) {
      const r = new SshReader(new SshWriter().mpint(fromHex(h)).bytes());
      expect(hex(r.mpint())).toBe(h.replace(/^(00)+/, ''));
      r.end();
    }
  });

  it('refuses a negative mpint and tolerates redundant zeros, as sshbuf_get_bignum2 does', () => {
    expect(() => new SshReader(fromHex('0000000180')).mpint()).toThrow(/negative/);
    expect(hex(new SshReader(fromHex('00000003000001')).mpint())).toBe('01');
  });

  it('refuses an over-long mpint', () => {
    const big = new SshWriter().string(new Uint8Array(2050).fill(1)).bytes();
    expect(() => new SshReader(big).mpint()).toThrow(/too large/);
  });
});

describe('SSH wire reader', () => {
  it('throws CountersignError with the caller’s code on truncation', () => {
    const r = new SshReader(fromHex('000000056162'), 'bad-key', 'public key');
    try {
      r.string('key type');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CountersignError);
      expect((e as CountersignError).code).toBe('bad-key');
      expect((e as Error).message).toMatch(/public key: truncated: key type claims 5 bytes but only 2 remain/);
    }
  });

  it('reports trailing bytes', () => {
    const r = new SshReader(fromHex('00000000ff'), 'bad-signature', 'SSHSIG');
    r.string();
    expect(() => r.end('the signature')).toThrow(/1 unexpected trailing byte\(s\) after the signature/);
  });

  it('reads a C string as sshbuf_get_cstring: one NUL allowed as the last byte and dropped, any other refused', () => {
    expect(() => new SshReader(fromHex('00000003610062')).cstring('namespace')).toThrow(/namespace contains a NUL byte before its end/);
    expect(() => new SshReader(fromHex('00000003610000')).cstring('namespace')).toThrow(/namespace contains a NUL/);
    expect(() => new SshReader(fromHex('0000000100')).cstring()).not.toThrow();
    const r = new SshReader(fromHex('000000036162000000000100'));
    expect(r.cstring()).toBe('ab');
    expect(r.cstringBytes()).toEqual(new Uint8Array(0));
    r.end();
    // A plain string keeps every byte.
    expect(new SshReader(fromHex('00000003616200')).string()).toEqual(Uint8Array.of(0x61, 0x62, 0));
  });

  it('reads a length larger than the buffer without allocating it', () => {
    expect(() => new SshReader(fromHex('ffffffff')).string()).toThrow(/claims 4294967295 bytes/);
  });
});
