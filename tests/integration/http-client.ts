/**
 * Calling the real route handlers (app/api/**) in-process with Web Requests, on the process-wide
 * app that getApp() opens from the environment (as under `next start`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, vi } from 'vitest';
import { closeGlobalApp, getApp, type App } from '../../lib/server/app';
import { createPasskey, toRegistrationResponseJSON, type SoftPasskey } from '../support/soft-authenticator';
import * as registerOptions from '../../app/api/auth/register/options/route';
import * as registerVerify from '../../app/api/auth/register/verify/route';
import { peerHeaderValue } from '../../lib/server/client-address';
import { gitIn } from './app-harness';

export const ORIGIN = 'http://localhost:3000';

export type Handler = (req: Request, ctx: { params: Promise<any> }) => Promise<Response>;

export interface Call {
  method?: string;
  body?: unknown;
  /** Sent as is instead of JSON of `body` (bad encodings, wrong types). */
  rawBody?: string;
  cookie?: string;
  /** The Origin header of a state-changing request; null sends none. */
  origin?: string | null;
  headers?: Record<string, string>;
  params?: Record<string, string>;
  /** The client's socket address. */
  ip?: string;
}

export interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

export async function call(handler: Handler, c: Call = {}): Promise<Answer> {
  const method = c.method ?? (c.body !== undefined || c.rawBody !== undefined ? 'POST' : 'GET');
  // The socket's address, as the server's start-up hook records it (lib/server/client-address.ts).
  const headers: Record<string, string> = { 'x-countersign-peer': peerHeaderValue(c.ip ?? '10.0.0.1'), ...c.headers };
  if (c.origin !== null && method !== 'GET') headers.origin = c.origin ?? ORIGIN;
  if (c.cookie) headers.cookie = c.cookie;
  const payload = c.rawBody ?? (c.body !== undefined ? JSON.stringify(c.body) : undefined);
  if (payload !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
  const res = await handler(new Request(`${ORIGIN}/api/x`, { method, headers, body: payload }), { params: Promise.resolve(c.params ?? {}) });
  const text = await res.text();
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* text/plain */
  }
  return { status: res.status, body, headers: res.headers };
}

/** `name=value` of the Set-Cookie header. */
export function cookieFrom(headers: Headers): string {
  return (headers.get('set-cookie') ?? '').split(';')[0];
}

export interface HttpServer {
  root: string;
  app: App;
  remote: string;
  commits: string[];
  firstInviteUrl: string;
  close(): Promise<void>;
}

/** A fresh data directory with the demo repository, and the global app opened on it. */
export async function startHttpServer(): Promise<HttpServer> {
  const root = await mkdtemp(path.join(tmpdir(), 'cs-http-'));
  process.env.COUNTERSIGN_DATA_DIR = path.join(root, 'data');
  process.env.PORT = '3000';
  process.env.COUNTERSIGN_ADMIN_EMAIL = 'root@example.org';
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  const app = await getApp();
  await Promise.all([...app.repos.values()].map((r) => r.ready())); // clones are made in the background
  const printed = log.mock.calls.map((c) => String(c[0])).join('\n');
  log.mockRestore();
  const remote = path.join(root, 'data', 'demo-remote.git');
  return {
    root,
    app,
    remote,
    commits: (await gitIn(remote, 'rev-list', '--reverse', 'main')).trim().split('\n'),
    firstInviteUrl: /http:\/\/localhost:3000\/invite\/[A-Za-z0-9_-]+/.exec(printed)?.[0] ?? '',
    async close() {
      await closeGlobalApp();
      await rm(root, { recursive: true, force: true });
    },
  };
}

export interface HttpUser {
  cookie: string;
  passkey: SoftPasskey;
  user: any;
  device: any;
}

/** Enrolls through the invite URL over the register routes; the answer's cookie signs in. */
export async function enrollViaHttp(inviteUrl: string): Promise<HttpUser> {
  const inviteToken = inviteUrl.split('/').pop()!;
  const opts = await call(registerOptions.POST, { body: { inviteToken } });
  expect(opts.status).toBe(200);
  const passkey = createPasskey({ rpId: 'localhost', userHandle: new Uint8Array(Buffer.from(opts.body.user.id, 'base64url')) });
  const response = toRegistrationResponseJSON(passkey, { challenge: opts.body.challenge, origin: ORIGIN });
  const verified = await call(registerVerify.POST, { body: { inviteToken, deviceName: 'Phone', response } });
  expect(verified.status).toBe(200);
  return { cookie: cookieFrom(verified.headers), passkey, user: verified.body.user, device: verified.body.device };
}
