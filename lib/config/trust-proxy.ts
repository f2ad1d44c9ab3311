import net from 'node:net';

/** `::ffff:127.0.0.1` (an IPv4 peer of a dual-stack socket) is 127.0.0.1. */
export function normalizeAddress(address: string): string {
  const a = address.trim().toLowerCase();
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  return m ? m[1] : a;
}

export interface ProxyList {
  /** Whether a request from this address may tell us the client's address. */
  trusts(address: string): boolean;
}

/**
 * Parses `trustProxy` entries: IP addresses, CIDR blocks (`10.0.0.0/8`, `fd00::/8`), or the word
 * `loopback` (127.0.0.0/8 and ::1). Returns the problem with the first bad entry instead.
 */
export function parseTrustProxy(entries: string[]): { list: ProxyList } | { error: string } {
  const block = new net.BlockList();
  for (const raw of entries) {
    const e = raw.trim();
    if (e === 'loopback') {
      block.addSubnet('127.0.0.0', 8, 'ipv4');
      block.addAddress('::1', 'ipv6');
      continue;
    }
    const [addr, bits, extra] = e.split('/');
    const family = net.isIPv4(addr) ? 'ipv4' : net.isIPv6(addr) ? 'ipv6' : null;
    if (!family || extra !== undefined) return { error: `"${e}" is not an IP address, a CIDR block or "loopback"` };
    if (bits === undefined) {
      block.addAddress(addr, family);
      continue;
    }
    const n = Number(bits);
    if (!/^\d+$/.test(bits) || n > (family === 'ipv4' ? 32 : 128)) return { error: `"${e}" has a bad prefix length` };
    block.addSubnet(addr, n, family);
  }
  return {
    list: {
      trusts(address) {
        const a = normalizeAddress(address);
        const family = net.isIPv4(a) ? 'ipv4' : net.isIPv6(a) ? 'ipv6' : null;
        return family !== null && block.check(a, family);
      },
    },
  };
}

