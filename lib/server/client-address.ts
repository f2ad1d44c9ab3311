import { randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { normalizeAddress, type ProxyList } from '../config/trust-proxy';

/**
 * Who is asking, for per-client rate limits.
 *
 * Next.js hands a route handler a Web Request: the socket is gone, and `next start` only fills
 * `X-Forwarded-For` from the socket when the client sent none (base-server.js:
 * `req.headers['x-forwarded-for'] ??= socket.remoteAddress`), so with no proxy in front any client
 * chooses its own key. So the server process records the socket's peer address itself: a hook on
 * Node's HTTP server (installed at start, in the process `next start` serves from) writes it into
 * a request header together with a secret of this process, after removing whatever the client
 * sent under that name. A header without the secret is ignored.
 *
 * Forwarded headers are believed only when that peer is a configured proxy (config `trustProxy`).
 */

export const PEER_HEADER = 'x-countersign-peer';

interface PeerState {
  secret: string;
  installed: boolean;
}

// On globalThis: the start-up hook and the route handlers may be separate bundles of this module.
const state: PeerState = ((globalThis as any)[Symbol.for('countersign.peer')] ??= { secret: randomBytes(24).toString('hex'), installed: false });

/** The header value that vouches for a socket peer address (what the hook writes; tests use it too). */
export function peerHeaderValue(address: string): string {
  return `${state.secret} ${address}`;
}

/** Makes every request this process's HTTP servers receive carry its socket's peer address. Idempotent. */
export function installPeerAddressHook(): void {
  if (state.installed) return;
  state.installed = true;
  const emit = http.Server.prototype.emit;
  http.Server.prototype.emit = function (this: http.Server, event: string | symbol, ...args: any[]): boolean {
    // 'checkContinue'/'checkExpectation' stand in for 'request' when a client sends Expect.
    if (event === 'request' || event === 'checkContinue' || event === 'checkExpectation') {
      const req = args[0] as http.IncomingMessage;
      delete req.headers[PEER_HEADER];
      const address = req.socket?.remoteAddress;
      if (address) req.headers[PEER_HEADER] = peerHeaderValue(address);
    }
    return emit.apply(this, [event, ...args] as any);
  } as typeof emit;
}

/** The socket peer the hook recorded, or null (no hook in front, or a value the client made up). */
export function socketPeer(req: Request): string | null {
  const v = req.headers.get(PEER_HEADER);
  if (!v) return null;
  const space = v.indexOf(' ');
  if (space < 0) return null;
  const given = Buffer.from(v.slice(0, space));
  const secret = Buffer.from(state.secret);
  if (given.length !== secret.length || !timingSafeEqual(given, secret)) return null;
  return normalizeAddress(v.slice(space + 1));
}

/**
 * The client's address: the socket peer, unless that peer is a trusted proxy — then the
 * nearest address in `X-Forwarded-For` (read from the right) that is not itself a trusted proxy;
 * entries further left were written by whoever the proxy heard from and could be anything.
 * Without the start-up hook (a bare Request) the peer is unknown: every such request shares one key.
 */
export function clientAddress(req: Request, proxies: ProxyList): string {
  const peer = socketPeer(req);
  if (!peer) return 'unknown';
  if (!proxies.trusts(peer)) return peer;
  const forwarded = (req.headers.get('x-forwarded-for') ?? '')
    .split(',')
    .map((s) => normalizeAddress(s))
    .filter(Boolean);
  for (let i = forwarded.length - 1; i >= 0; i--) {
    if (net.isIP(forwarded[i]) === 0) return peer; // garbage from the proxy: fall back to the proxy itself
    if (!proxies.trusts(forwarded[i])) return forwarded[i];
  }
  return forwarded[0] ?? peer;
}
