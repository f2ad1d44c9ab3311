/**
 * Rate limits over real sockets from two loopback addresses (127.0.0.1 and 127.0.0.2): a Node
 * HTTP server with the start-up hook `next start` runs under (lib/server/client-address.ts) hands
 * each request, as a Web Request, to the real route handler — the client's key is the socket's
 * address, whatever X-Forwarded-For it sends, unless the peer is a configured proxy.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { closeGlobalApp, getApp } from '../../lib/server/app';
import { clientAddress, installPeerAddressHook, peerHeaderValue } from '../../lib/server/client-address';
import { parseTrustProxy } from '../../lib/config/trust-proxy';
import { resetRateLimits } from '../../lib/server/http';
import * as loginOptions from '../../app/api/auth/login/options/route';
import * as approveOptions from '../../app/api/repos/[repo]/commits/[commit]/approve/options/route';
import { createSession } from '../../lib/auth/sessions';
import { enroll, gitIn } from './app-harness';

let root: string;
let server: http.Server;
let port: number;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'cs-rate-'));
  process.env.COUNTERSIGN_DATA_DIR = path.join(root, 'data');
  process.env.PORT = '3000';
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  await getApp();
  log.mockRestore();
  installPeerAddressHook();
  server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
    const response = await loginOptions.POST(
      new Request(`http://localhost:3000${req.url}`, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined }),
      { params: Promise.resolve({}) },
    );
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await closeGlobalApp();
  await rm(root, { recursive: true, force: true });
});
beforeEach(() => resetRateLimits());

/** POST /api/auth/login/options from a given local address. */
function login(from: string, headers: Record<string, string> = {}): Promise<{ status: number; retryAfter: string | null }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, localAddress: from, method: 'POST', path: '/api/auth/login/options', agent: false, headers: { origin: 'http://localhost:3000', 'content-type': 'application/json', ...headers } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, retryAfter: (res.headers['retry-after'] as string) ?? null }));
      },
    );
    req.on('error', reject);
    req.end('{}');
  });
}

describe('per-client limits key on the socket address', () => {
  it('30 a minute from 127.0.0.1, whatever X-Forwarded-For or peer header it makes up; 127.0.0.2 is unaffected', async () => {
    for (let i = 0; i < 30; i++) {
      const r = await login('127.0.0.1', { 'x-forwarded-for': `10.0.0.${i}`, 'x-countersign-peer': `guess 10.1.0.${i}` });
      expect(r.status).toBe(200);
    }
    const refused = await login('127.0.0.1', { 'x-forwarded-for': '10.0.0.99' });
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(60);
    expect((await login('127.0.0.2')).status).toBe(200);
  });

  it("one client's flood does not spend the global budget: after 700 requests from 127.0.0.1, 127.0.0.2 still signs in", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 700; i++) statuses.push((await login('127.0.0.1')).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(30);
    expect((await login('127.0.0.2')).status).toBe(200);
  });

  it('Retry-After is true: refused until that many seconds have passed, let through then', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-12-01T00:00:00Z') });
    try {
      for (let i = 0; i < 30; i++) await login('127.0.0.2');
      vi.setSystemTime(new Date('2026-12-01T00:00:20.500Z'));
      const refused = await login('127.0.0.2');
      expect(refused).toEqual({ status: 429, retryAfter: '40' });
      vi.setSystemTime(new Date('2026-12-01T00:00:59.999Z'));
      expect((await login('127.0.0.2')).status).toBe(429);
      vi.setSystemTime(new Date('2026-12-01T00:01:00.500Z')); // 20.5 s + 40 s
      expect((await login('127.0.0.2')).status).toBe(200);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('approval is limited per signed-in user, after the session is checked', () => {
  it("a user's 31st approval in a minute is refused from any address; another user, and anyone not signed in, are unaffected", async () => {
    const app = await getApp();
    const commit = (await gitIn(path.join(root, 'data', 'demo-remote.git'), 'rev-parse', 'main')).trim();
    const cookieOf = async (email: string) => {
      const e = await enroll(app, email);
      return `cs_session=${await createSession(app, e.user.id, e.deviceId)}`;
    };
    const alice = await cookieOf('alice@example.org');
    const bob = await cookieOf('bob@example.org');
    const prepare = async (from: string, cookie?: string) =>
      (
        await approveOptions.POST(
          new Request('http://localhost:3000/api/x', {
            method: 'POST',
            headers: { origin: 'http://localhost:3000', 'content-type': 'application/json', 'x-countersign-peer': peerHeaderValue(from), ...(cookie ? { cookie } : {}) },
            body: JSON.stringify({ verdict: 'approve' }),
          }),
          { params: Promise.resolve({ repo: 'demo', commit }) },
        )
      ).status;
    // Not signed in: 401 each time, from one address, spending nobody's budget.
    for (let i = 0; i < 40; i++) expect(await prepare('127.0.0.1')).toBe(401);
    for (let i = 0; i < 30; i++) expect(await prepare(`127.0.1.${i}`, alice)).toBe(200);
    expect(await prepare('127.0.2.1', alice)).toBe(429);
    expect(await prepare('127.0.0.1', bob)).toBe(200);
  });
});

describe('trustProxy', () => {
  const req = (peer: string, xff?: string) =>
    new Request('http://localhost/', { headers: { 'x-countersign-peer': peerHeaderValue(peer), ...(xff ? { 'x-forwarded-for': xff } : {}) } });
  const none = parseTrustProxy([]);
  const loopback = parseTrustProxy(['loopback']);
  const cidr = parseTrustProxy(['10.0.0.0/8', '::1']);

  it('without it, X-Forwarded-For is never believed', () => {
    if (!('list' in none)) throw new Error(none.error);
    expect(clientAddress(req('127.0.0.1', '203.0.113.9'), none.list)).toBe('127.0.0.1');
    expect(clientAddress(req('::ffff:127.0.0.2'), none.list)).toBe('127.0.0.2');
  });

  it('from a configured proxy, the nearest forwarded address that is not a proxy', () => {
    if (!('list' in loopback) || !('list' in cidr)) throw new Error('parse');
    expect(clientAddress(req('127.0.0.1', '203.0.113.9'), loopback.list)).toBe('203.0.113.9');
    expect(clientAddress(req('127.0.0.1', 'forged, 203.0.113.9'), loopback.list)).toBe('203.0.113.9');
    expect(clientAddress(req('10.2.3.4', '198.51.100.1, 10.9.9.9'), cidr.list)).toBe('198.51.100.1');
    // Not from a proxy: its X-Forwarded-For is the client's invention.
    expect(clientAddress(req('192.0.2.7', '203.0.113.9'), loopback.list)).toBe('192.0.2.7');
  });

  it('a bad entry is an error naming it; a forged peer header is no peer at all', () => {
    expect(parseTrustProxy(['10.0.0.0/33'])).toEqual({ error: expect.stringMatching(/10\.0\.0\.0\/33/) });
    expect(parseTrustProxy(['proxy.example'])).toEqual({ error: expect.stringMatching(/proxy\.example/) });
    if (!('list' in none)) throw new Error('parse');
    expect(clientAddress(new Request('http://localhost/', { headers: { 'x-countersign-peer': 'guess 10.0.0.1' } }), none.list)).toBe('unknown');
  });
});
