import { CountersignError } from '../errors';

/**
 * Just enough CBOR (RFC 8949) to read a COSE_Key: definite-length items of every major type.
 * Indefinite lengths, which a COSE key never uses, are refused.
 */
export type CborValue = number | bigint | Uint8Array | string | CborValue[] | Map<CborValue, CborValue> | boolean | null | undefined;

const MAX_DEPTH = 16;

function fail(msg: string): never {
  throw new CountersignError('bad-key', `COSE key (CBOR): ${msg}`);
}

export function decodeCbor(bytes: Uint8Array): { value: CborValue; end: number } {
  let pos = 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (n: number) => {
    if (pos + n > bytes.length) fail('truncated');
  };
  const readArg = (info: number): number | bigint => {
    if (info < 24) return info;
    if (info === 24) {
      need(1);
      return bytes[pos++];
    }
    if (info === 25) {
      need(2);
      const v = view.getUint16(pos);
      pos += 2;
      return v;
    }
    if (info === 26) {
      need(4);
      const v = view.getUint32(pos);
      pos += 4;
      return v;
    }
    if (info === 27) {
      need(8);
      const v = view.getBigUint64(pos);
      pos += 8;
      return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
    }
    return fail(info === 31 ? 'indefinite lengths are not supported' : `reserved additional info ${info}`);
  };
  const length = (info: number): number => {
    const n = readArg(info);
    if (typeof n === 'bigint' || n > bytes.length) fail('length too large');
    return n as number;
  };
  const item = (depth: number): CborValue => {
    if (depth > MAX_DEPTH) fail('nested too deeply');
    need(1);
    const ib = bytes[pos++];
    const major = ib >> 5;
    const info = ib & 0x1f;
    switch (major) {
      case 0:
        return readArg(info);
      case 1: {
        const n = readArg(info);
        return typeof n === 'bigint' ? -1n - n : -1 - n;
      }
      case 2: {
        const n = length(info);
        need(n);
        const b = bytes.slice(pos, pos + n);
        pos += n;
        return b;
      }
      case 3: {
        const n = length(info);
        need(n);
        const s = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(pos, pos + n));
        pos += n;
        return s;
      }
      case 4: {
        const n = length(info);
        const out: CborValue[] = [];
        for (let i = 0; i < n; i++) out.push(item(depth + 1));
        return out;
      }
      case 5: {
        const n = length(info);
        const m = new Map<CborValue, CborValue>();
        for (let i = 0; i < n; i++) {
          const k = item(depth + 1);
          if (m.has(k)) fail('duplicate map key');
          m.set(k, item(depth + 1));
        }
        return m;
      }
      case 6:
        readArg(info);
        return item(depth + 1);
      default: {
        if (info === 20) return false;
        if (info === 21) return true;
        if (info === 22) return null;
        if (info === 23) return undefined;
        return fail(`unsupported simple value or float (${info})`);
      }
    }
  };
  const value = item(0);
  return { value, end: pos };
}
