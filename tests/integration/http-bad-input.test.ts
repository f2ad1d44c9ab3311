/**
 * Bad input over the HTTP API: every route handler (app/api/**), called in-process with Web
 * Requests on the app getApp() opens, as under `next start`. Whatever is malformed — a path
 * parameter's percent-encoding, a NUL byte or a wrong JSON type in any body field, an oversized
 * or non-UTF-8 body, a broken session cookie, a clientDataJSON that is not UTF-8 — the answer is
 * a 4xx with a JSON `{error}` naming the problem, and nothing is written: the database rows and
 * the notes refs are exactly as before, and a WebAuthn challenge is still usable afterwards.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { closeGlobalApp, getApp, type App } from '../../lib/server/app';
import { peerHeaderValue } from '../../lib/server/client-address';
import { resetRateLimits } from '../../lib/server/http';
import { malformedPath } from '../../proxy';
import { createPasskey, getAssertion, toAuthenticationResponseJSON, toRegistrationResponseJSON, type SoftPasskey } from '../support/soft-authenticator';
import * as registerOptions from '../../app/api/auth/register/options/route';
import * as registerVerify from '../../app/api/auth/register/verify/route';
import * as loginOptions from '../../app/api/auth/login/options/route';
import * as loginVerify from '../../app/api/auth/login/verify/route';
import * as logout from '../../app/api/auth/logout/route';
import * as me from '../../app/api/me/route';
import * as devices from '../../app/api/devices/[id]/route';
import * as invites from '../../app/api/invites/route';
import * as tokens from '../../app/api/tokens/route';
import * as inbox from '../../app/api/inbox/route';
import * as requests from '../../app/api/requests/route';
import * as repos from '../../app/api/repos/route';
import * as review from '../../app/api/repos/[repo]/commits/[commit]/route';
import * as approveOptions from '../../app/api/repos/[repo]/commits/[commit]/approve/options/route';
import * as approveVerify from '../../app/api/repos/[repo]/commits/[commit]/approve/verify/route';
import * as signatures from '../../app/api/repos/[repo]/commits/[commit]/signatures/route';
import * as signers from '../../app/api/signers/route';
import * as signersOne from '../../app/api/signers/[email]/route';

const ORIGIN = 'http://localhost:3000';
type Handler = (req: Request, ctx: { params: Promise<any> }) => Promise<Response>;

let root: string;
let app: App;
let commits: string[];
let admin: { cookie: string; passkey: SoftPasskey; deviceId: string };

// ---------------------------------------------------------------- requests

interface Call {
  method?: string;
  body?: unknown;
  raw?: Uint8Array | string;
  cookie?: string;
  params?: Record<string, string>;
  headers?: Record<string, string>;
}

let clients = 0;

/** One request from its own client address (so the authentication rate limits stay out of the way). */
async function call(handler: Handler, c: Call = {}): Promise<{ status: number; body: any; contentType: string }> {
  const method = c.method ?? (c.body !== undefined || c.raw !== undefined ? 'POST' : 'GET');
  clients++;
  const headers: Record<string, string> = { 'x-countersign-peer': peerHeaderValue(`10.77.${clients >> 8}.${clients & 255}`), ...c.headers };
  if (method !== 'GET') headers.origin = ORIGIN;
  if (c.cookie) headers.cookie = c.cookie;
  const payload = c.raw ?? (c.body !== undefined ? JSON.stringify(c.body) : undefined);
  if (payload !== undefined) headers['content-type'] ??= 'application/json';
  const res = await handler(new Request(`${ORIGIN}/api/x`, { method, headers, body: payload as BodyInit | undefined }), {
    params: Promise.resolve(c.params ?? {}),
  });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON: the assertions below say so */
  }
  return { status: res.status, body, contentType: res.headers.get('content-type') ?? '' };
}

function expectRefused(r: { status: number; body: any; contentType: string }, status: number | RegExp = /^4\d\d$/, message?: RegExp) {
  expect(String(r.status)).toMatch(typeof status === 'number' ? new RegExp(`^${status}$`) : status);
  expect(r.contentType).toMatch(/^application\/json/);
  expect(r.body).toEqual({ error: expect.any(String) });
  if (message) expect(r.body.error).toMatch(message);
}

// ---------------------------------------------------------------- "nothing written"

/**
 * Every row of every table, and the notes refs of the server's clone and the remote. Bookkeeping
 * of reads (a session's or token's last use, a session's sliding expiry) is left out: reading is
 * not writing. So is the clone's copy of the remote's notes (refs/notes/*-incoming/*): a page may
 * start a background fetch, which mirrors the remote and writes nothing of the request's.
 */
async function snapshot(): Promise<string> {
  const tables = await app.db.query<{ table_name: string }>(
    "select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE' order by 1",
  );
  const out: Record<string, unknown> = {};
  for (const { table_name } of tables) {
    const rows = await app.db.query<Record<string, unknown>>(`select * from "${table_name}"`);
    out[table_name] = rows
      .map((r) => {
        const { last_seen_at, last_used_at, expires_at, ...rest } = r as any;
        return JSON.stringify(table_name === 'sessions' || table_name === 'api_tokens' ? rest : r, (_, v) => (typeof v === 'bigint' ? String(v) : v));
      })
      .sort();
  }
  const refs = (dir: string) => {
    try {
      return execFileSync('git', ['-C', dir, 'for-each-ref', 'refs/notes/'], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => !/\trefs\/notes\/[^\t]*-incoming\//.test(l))
        .join('\n');
    } catch {
      return '';
    }
  };
  out.notes = { clone: refs(app.repo('demo').dir), remote: refs(path.join(root, 'data', 'demo-remote.git')) };
  return JSON.stringify(out, null, 1);
}

async function expectNothingWritten(f: () => Promise<void>, what = ''): Promise<void> {
  const before = await snapshot();
  await f();
  expect(await snapshot(), what).toBe(before);
}

// ---------------------------------------------------------------- fixtures

function cookieOf(res: Response | { headers: Headers }): string {
  return (res.headers.get('set-cookie') ?? '').split(';')[0];
}

async function enroll(inviteUrl: string, email: string): Promise<{ cookie: string; passkey: SoftPasskey; deviceId: string }> {
  const inviteToken = inviteUrl.split('/').pop()!;
  const opts = await call(registerOptions.POST, { body: { inviteToken } });
  expect(opts.status).toBe(200);
  const passkey = createPasskey({ rpId: 'localhost', userHandle: new Uint8Array(Buffer.from(opts.body.user.id, 'base64url')) });
  const response = toRegistrationResponseJSON(passkey, { challenge: opts.body.challenge, origin: ORIGIN });
  const res = await registerVerify.POST(
    new Request(`${ORIGIN}/api/x`, {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/json', 'x-countersign-peer': peerHeaderValue('10.78.0.1') },
      body: JSON.stringify({ inviteToken, deviceName: 'Phone', response }),
    }),
    { params: Promise.resolve({}) },
  );
  const body = await res.json();
  expect(res.status, JSON.stringify(body)).toBe(200);
  expect(body.user.email).toBe(email);
  return { cookie: cookieOf(res), passkey, deviceId: body.device.id };
}

async function newInviteUrl(email: string): Promise<string> {
  const r = await call(invites.POST, { body: { email }, cookie: admin.cookie });
  expect(r.status).toBe(200);
  return r.body.url;
}

async function loginAssertion(mutate: (clientData: string) => Uint8Array = (s) => new TextEncoder().encode(s)) {
  const opts = await call(loginOptions.POST, { body: {} });
  const challenge = new Uint8Array(Buffer.from(opts.body.challenge, 'base64url'));
  const good = toAuthenticationResponseJSON(getAssertion(admin.passkey, { challenge, origin: ORIGIN }));
  const clientData = Buffer.from(good.response.clientDataJSON, 'base64url').toString('utf8');
  const bad = { ...good, response: { ...good.response, clientDataJSON: Buffer.from(mutate(clientData)).toString('base64url') } };
  return { good, bad };
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'cs-bad-input-'));
  process.env.COUNTERSIGN_DATA_DIR = path.join(root, 'data');
  process.env.PORT = '3000';
  process.env.COUNTERSIGN_ADMIN_EMAIL = 'root@example.org';
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  app = await getApp();
  const printed = log.mock.calls.map((c) => String(c[0])).join('\n');
  log.mockRestore();
  admin = await enroll(/http:\/\/localhost:3000\/invite\/[A-Za-z0-9_-]+/.exec(printed)![0], 'root@example.org');
  commits = execFileSync('git', ['-C', path.join(root, 'data', 'demo-remote.git'), 'rev-list', '--reverse', 'main'], { encoding: 'utf8' }).trim().split('\n');
});
// Approval is limited per signed-in user (30 a minute): these tests prepare many as one user.
beforeEach(() => resetRateLimits());
afterAll(async () => {
  await closeGlobalApp();
  await rm(root, { recursive: true, force: true });
});

// ---------------------------------------------------------------- path parameters

/** Every route with path parameters, with a request that would otherwise be fine. */
function paramRoutes(): { name: string; handler: Handler; method: string; params: Record<string, string>; body?: () => Promise<unknown> }[] {
  const repoCommit = { repo: 'demo', commit: commits[1] };
  return [
    { name: 'GET /api/repos/[repo]/commits/[commit]', handler: review.GET, method: 'GET', params: repoCommit },
    { name: 'GET …/[commit]/signatures', handler: signatures.GET, method: 'GET', params: repoCommit },
    { name: 'POST …/[commit]/approve/options', handler: approveOptions.POST, method: 'POST', params: repoCommit, body: async () => ({ verdict: 'approve' }) },
    {
      name: 'POST …/[commit]/approve/verify',
      handler: approveVerify.POST,
      method: 'POST',
      params: repoCommit,
      body: async () => {
        const opts = await call(approveOptions.POST, { params: repoCommit, cookie: admin.cookie, body: { verdict: 'approve' } });
        const a = getAssertion(admin.passkey, { challenge: new Uint8Array(Buffer.from(opts.body.options.challenge, 'base64url')), origin: ORIGIN });
        return { approvalId: opts.body.approvalId, response: toAuthenticationResponseJSON(a) };
      },
    },
    { name: 'GET /api/signers/[email]', handler: signersOne.GET, method: 'GET', params: { email: 'root@example.org' } },
    { name: 'PATCH /api/devices/[id]', handler: devices.PATCH, method: 'PATCH', params: { id: '' }, body: async () => ({ name: 'Renamed' }) },
    { name: 'DELETE /api/devices/[id]', handler: devices.DELETE, method: 'DELETE', params: { id: '' } },
  ];
}

/**
 * Next.js percent-decodes a path segment before the handler sees it, so a handler can get a
 * control character (`%00` → NUL) but never an undecodable segment: that is refused by proxy.ts
 * first (below). What reaches a handler still looking like an escape is taken literally.
 */
const CONTROL: string[] = ['a\u0000b', '\u0000', 'a\nb', 'x\u007f', 'a\ud800b'];
const LITERAL: string[] = ['%ff', '%E0%A4%A', 'abc%', '..', '.', 'a/b'];

/** The URL of a route with one parameter replaced by a raw (undecoded) segment. */
function urlOf(name: string, params: Record<string, string>): string {
  return name
    .replace(/^[A-Z]+ /, '')
    .replace('…', '/api/repos/[repo]/commits')
    .replace(/\[(\w+)\]/g, (_, k) => params[k]);
}

describe('path parameters', () => {
  it('each route works with good parameters (so the refusals below are about the parameter)', async () => {
    for (const r of paramRoutes()) {
      const params = r.params.id === '' ? { id: admin.deviceId } : r.params;
      if (r.method === 'DELETE') continue; // would revoke the admin's only device
      const res = await call(r.handler, { method: r.method, params, cookie: admin.cookie, body: r.body ? await r.body() : undefined });
      expect(res.status, `${r.name}: ${JSON.stringify(res.body).slice(0, 200)}`).toBe(200);
    }
  });

  it('a control character or a lone surrogate in any of them is a 400 naming the parameter, writing nothing', async () => {
    for (const r of paramRoutes()) {
      const base = r.params.id === '' ? { id: admin.deviceId } : r.params;
      const body = r.body ? await r.body() : undefined; // prepared first: preparing an approval writes
      for (const name of Object.keys(base)) {
        for (const bad of CONTROL) {
          await expectNothingWritten(async () => {
            const res = await call(r.handler, { method: r.method, params: { ...base, [name]: bad }, cookie: admin.cookie, body });
            expectRefused(res, 400, /control characters/);
            expect(res.body.error, r.name).toContain(name);
          });
        }
      }
    }
  });

  it('what looks like an escape once decoded is taken literally: a 4xx, writing nothing', async () => {
    for (const r of paramRoutes()) {
      const base = r.params.id === '' ? { id: admin.deviceId } : r.params;
      const body = r.body ? await r.body() : undefined;
      for (const name of Object.keys(base)) {
        for (const odd of LITERAL) {
          resetRateLimits();
          // approve/verify uses up its approval id when the URL names another commit (lib/server/approve.ts).
          if (r.name.endsWith('approve/verify')) {
            expectRefused(await call(r.handler, { method: r.method, params: { ...base, [name]: odd }, cookie: admin.cookie, body: await r.body!() }));
            continue;
          }
          await expectNothingWritten(async () => {
            expectRefused(await call(r.handler, { method: r.method, params: { ...base, [name]: odd }, cookie: admin.cookie, body }));
          }, `${r.name} ${name}=${odd}`);
        }
      }
    }
  });

  it('a malformed percent-encoding in any parameter of any route is refused by proxy.ts with a JSON 400 (Next.js alone answers a bare 500)', async () => {
    for (const r of paramRoutes()) {
      const base = r.params.id === '' ? { id: admin.deviceId } : r.params;
      for (const name of Object.keys(base)) {
        for (const bad of ['%ff', '%E0%A4%A', 'abc%', '%zz', '%ED%A0%80', 'a%00b', 'a%0Ab']) {
          const url = `http://localhost:3000${urlOf(r.name, { ...base, [name]: bad })}`;
          const res = malformedPath(url);
          expect(res?.status, url).toBe(400);
          expect(res!.headers.get('content-type')).toMatch(/^application\/json/);
          expect(await res!.json()).toEqual({ error: expect.stringMatching(/percent-encoding|control characters/) });
        }
        const fine = `http://localhost:3000${urlOf(r.name, { ...base, [name]: encodeURIComponent('root@example.org') })}`;
        expect(malformedPath(fine), fine).toBeNull();
      }
    }
    const page = malformedPath('http://localhost:3000/r/demo/%ff');
    expect(page?.status).toBe(400);
    expect(await page!.text()).toMatch(/^Bad request: the address is not valid percent-encoding/);
    expect(malformedPath(`http://localhost:3000/r/demo/${commits[0]}?x=%ff`)).toBeNull();
  });
});

// ---------------------------------------------------------------- bodies

/** Every route with a JSON body, and a body it would accept. */
async function bodyRoutes(): Promise<{ name: string; handler: Handler; method: string; params?: Record<string, string>; body: unknown }[]> {
  const repoCommit = { repo: 'demo', commit: commits[2] };
  const inviteToken = (await newInviteUrl('body@example.org')).split('/').pop()!;
  const regOpts = await call(registerOptions.POST, { body: { inviteToken } });
  const pk = createPasskey({ rpId: 'localhost', userHandle: new Uint8Array(Buffer.from(regOpts.body.user.id, 'base64url')) });
  const registration = toRegistrationResponseJSON(pk, { challenge: regOpts.body.challenge, origin: ORIGIN });
  const { good: login } = await loginAssertion();
  const prepared = await call(approveOptions.POST, { params: repoCommit, cookie: admin.cookie, body: { verdict: 'approve' } });
  const approval = toAuthenticationResponseJSON(
    getAssertion(admin.passkey, { challenge: new Uint8Array(Buffer.from(prepared.body.options.challenge, 'base64url')), origin: ORIGIN }),
  );
  return [
    { name: 'POST /api/auth/register/options', handler: registerOptions.POST, method: 'POST', body: { inviteToken } },
    { name: 'POST /api/auth/register/verify', handler: registerVerify.POST, method: 'POST', body: { inviteToken, deviceName: 'Tablet', response: registration } },
    { name: 'POST /api/auth/login/verify', handler: loginVerify.POST, method: 'POST', body: { response: login } },
    { name: 'PATCH /api/devices/[id]', handler: devices.PATCH, method: 'PATCH', params: { id: admin.deviceId }, body: { name: 'Phone 2' } },
    { name: 'POST /api/invites', handler: invites.POST, method: 'POST', body: { email: 'new@example.org', admin: false } },
    { name: 'POST /api/tokens', handler: tokens.POST, method: 'POST', body: { name: 'CI' } },
    { name: 'POST /api/requests', handler: requests.POST, method: 'POST', body: { repo: 'demo', commit: commits[2] } },
    { name: 'POST …/approve/options', handler: approveOptions.POST, method: 'POST', params: repoCommit, body: { verdict: 'approve' } },
    { name: 'POST …/approve/verify', handler: approveVerify.POST, method: 'POST', params: repoCommit, body: { approvalId: prepared.body.approvalId, response: approval } },
  ];
}

/** Each string in a body, by path (e.g. response.response.clientDataJSON, response.response.transports.0). */
function stringLeaves(v: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (typeof v === 'string') return [at];
  if (Array.isArray(v)) return v.flatMap((x, i) => stringLeaves(x, [...at, i]));
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => stringLeaves(x, [...at, k]));
  return [];
}

function withLeaf(body: unknown, at: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(body) as any;
  let o = copy;
  for (const k of at.slice(0, -1)) o = o[k];
  o[at[at.length - 1]] = value;
  return copy;
}

describe('bodies', () => {
  it('a NUL byte (or another control character) in any string field is a 400 that writes nothing', async () => {
    const routes = await bodyRoutes();
    let cases = 0;
    for (const r of routes) {
      for (const leaf of stringLeaves(r.body)) {
        const value = withLeaf(r.body, leaf, `${String(leafOf(r.body, leaf)).slice(0, 20)}\u0000x`);
        await expectNothingWritten(async () => {
          const res = await call(r.handler, { method: r.method, params: r.params, cookie: admin.cookie, body: value });
          expectRefused(res, 400, new RegExp(`invalid request: ${leaf.join('\\.')}`));
        });
        cases++;
      }
    }
    expect(cases).toBeGreaterThan(30);
  });

  it('a wrong JSON type in any string field, or a body that is not an object, is a 400 that writes nothing', async () => {
    const routes = await bodyRoutes();
    for (const r of routes) {
      const bodies: unknown[] = [null, [], 'text', 42, true];
      for (const leaf of stringLeaves(r.body)) bodies.push(withLeaf(r.body, leaf, 12345), withLeaf(r.body, leaf, {}), withLeaf(r.body, leaf, ['x']));
      for (const body of bodies) {
        resetRateLimits();
        await expectNothingWritten(async () => {
          const res = await call(r.handler, { method: r.method, params: r.params, cookie: admin.cookie, body });
          expectRefused(res, 400, /^invalid request: /);
        });
      }
    }
  });

  it('an oversized body is a 413, a body that is not UTF-8 or not JSON a 400, another content type a 415', async () => {
    const routes = await bodyRoutes();
    for (const r of routes) {
      const c = { method: r.method, params: r.params, cookie: admin.cookie };
      await expectNothingWritten(async () => {
        expectRefused(await call(r.handler, { ...c, raw: JSON.stringify({ pad: 'a'.repeat(70_000) }) }), 413, /too large/);
        const json = new TextEncoder().encode(JSON.stringify(r.body));
        const notUtf8 = new Uint8Array([...json.slice(0, -1), 0x20, 0xff, 0x7d]); // `… \xff}`
        expectRefused(await call(r.handler, { ...c, raw: notUtf8 }), 400, /not valid UTF-8/);
        expectRefused(await call(r.handler, { ...c, raw: '{"a":' }), 400, /not valid JSON/);
        expectRefused(await call(r.handler, { ...c, raw: JSON.stringify(r.body), headers: { 'content-type': 'text/plain' } }), 415);
      });
    }
  });

  it('a NUL in an approval id is a 400, not a database error', async () => {
    const routes = await bodyRoutes();
    const verify = routes.find((r) => r.name === 'POST …/approve/verify')!;
    await expectNothingWritten(async () => {
      const res = await call(verify.handler, { params: verify.params, cookie: admin.cookie, body: { ...(verify.body as any), approvalId: 'abc\u0000def' } });
      expectRefused(res, 400, /approvalId/);
    });
  });
});

function leafOf(body: unknown, at: (string | number)[]): unknown {
  return at.reduce((o: any, k) => o[k], body);
}

// ---------------------------------------------------------------- clientDataJSON

describe('a clientDataJSON that is not UTF-8 is refused before its challenge is used', () => {
  const notUtf8 = (s: string) => {
    const bytes = new TextEncoder().encode(s);
    const at = s.indexOf('"origin":"') + 10;
    return new Uint8Array([...bytes.slice(0, at), 0xc3, 0x28, ...bytes.slice(at)]); // an invalid 2-byte sequence
  };

  it('sign-in: 400, then the same challenge still signs in', async () => {
    const { good, bad } = await loginAssertion(notUtf8);
    await expectNothingWritten(async () => {
      expectRefused(await call(loginVerify.POST, { body: { response: bad } }), 400, /clientDataJSON is not valid UTF-8/);
    });
    expect((await call(loginVerify.POST, { body: { response: good } })).status).toBe(200);
  });

  it('approval: 400, then the same approval id still approves', async () => {
    const repoCommit = { repo: 'demo', commit: commits[3] };
    const opts = await call(approveOptions.POST, { params: repoCommit, cookie: admin.cookie, body: { verdict: 'approve' } });
    const good = toAuthenticationResponseJSON(
      getAssertion(admin.passkey, { challenge: new Uint8Array(Buffer.from(opts.body.options.challenge, 'base64url')), origin: ORIGIN }),
    );
    const clientData = Buffer.from(good.response.clientDataJSON, 'base64url').toString('utf8');
    const bad = { ...good, response: { ...good.response, clientDataJSON: Buffer.from(notUtf8(clientData)).toString('base64url') } };
    await expectNothingWritten(async () => {
      const res = await call(approveVerify.POST, { params: repoCommit, cookie: admin.cookie, body: { approvalId: opts.body.approvalId, response: bad } });
      expectRefused(res, 400, /clientDataJSON is not valid UTF-8/);
    });
    const ok = await call(approveVerify.POST, { params: repoCommit, cookie: admin.cookie, body: { approvalId: opts.body.approvalId, response: good } });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
  });

  it('registration: 400, then the same challenge still enrolls', async () => {
    const inviteToken = (await newInviteUrl('utf8@example.org')).split('/').pop()!;
    const opts = await call(registerOptions.POST, { body: { inviteToken } });
    const pk = createPasskey({ rpId: 'localhost', userHandle: new Uint8Array(Buffer.from(opts.body.user.id, 'base64url')) });
    const good = toRegistrationResponseJSON(pk, { challenge: opts.body.challenge, origin: ORIGIN });
    const clientData = Buffer.from(good.response.clientDataJSON, 'base64url').toString('utf8');
    const bad = { ...good, response: { ...good.response, clientDataJSON: Buffer.from(notUtf8(clientData)).toString('base64url') } };
    await expectNothingWritten(async () => {
      expectRefused(await call(registerVerify.POST, { body: { inviteToken, response: bad } }), 400, /clientDataJSON is not valid UTF-8/);
    });
    expect((await call(registerVerify.POST, { body: { inviteToken, response: good } })).status).toBe(200);
  });

  it('clientDataJSON that is not a JSON object with type, challenge and origin is refused the same way', async () => {
    for (const text of ['not json', '[]', '{"type":"webauthn.get","origin":"http://localhost:3000"}', '{"type":"webauthn.get","challenge":7,"origin":"x"}']) {
      const { bad } = await loginAssertion(() => new TextEncoder().encode(text));
      await expectNothingWritten(async () => {
        expectRefused(await call(loginVerify.POST, { body: { response: bad } }), 400, /clientDataJSON/);
      });
    }
  });
});

// ---------------------------------------------------------------- cookies

describe('a session cookie that is not valid percent-encoding is no session, never a 500', () => {
  const ALL: { name: string; handler: Handler; method?: string; params?: () => Record<string, string>; body?: unknown; signedIn: boolean }[] = [
    { name: 'GET /api/me', handler: me.GET, signedIn: true },
    { name: 'GET /api/inbox', handler: inbox.GET, signedIn: true },
    { name: 'GET /api/repos', handler: repos.GET, signedIn: true },
    { name: 'GET /api/invites', handler: invites.GET, signedIn: true },
    { name: 'GET /api/tokens', handler: tokens.GET, signedIn: true },
    { name: 'GET /api/signers', handler: signers.GET, signedIn: true },
    { name: 'POST /api/invites', handler: invites.POST, body: { email: 'c@example.org' }, signedIn: true },
    { name: 'POST /api/tokens', handler: tokens.POST, body: { name: 'x' }, signedIn: true },
    { name: 'POST /api/requests', handler: requests.POST, body: { repo: 'demo', commit: 'a'.repeat(40) }, signedIn: true },
    { name: 'PATCH /api/devices/[id]', handler: devices.PATCH, method: 'PATCH', params: () => ({ id: admin.deviceId }), body: { name: 'x' }, signedIn: true },
    { name: 'DELETE /api/devices/[id]', handler: devices.DELETE, method: 'DELETE', params: () => ({ id: admin.deviceId }), signedIn: true },
    { name: 'POST …/approve/options', handler: approveOptions.POST, params: () => ({ repo: 'demo', commit: commits[1] }), body: { verdict: 'approve' }, signedIn: true },
    { name: 'POST /api/auth/logout', handler: logout.POST, body: {}, signedIn: false },
    { name: 'GET …/[commit]', handler: review.GET, params: () => ({ repo: 'demo', commit: commits[1] }), signedIn: false },
    { name: 'GET …/signatures', handler: signatures.GET, params: () => ({ repo: 'demo', commit: commits[1] }), signedIn: false },
    { name: 'GET /api/signers/[email]', handler: signersOne.GET, params: () => ({ email: 'root@example.org' }), signedIn: false },
  ];

  for (const cookie of ['cs_session=%ff', 'cs_session=%E0%A4%A', 'theme=dark; cs_session=%', 'cs_session=a%00b']) {
    it(`${cookie}: sign-in routes say "sign in first", public ones answer as to nobody, nothing written`, async () => {
      for (const r of ALL) {
        const c = { method: r.method, params: r.params?.(), body: r.body };
        const withCookie = await call(r.handler, { ...c, cookie });
        if (r.signedIn) {
          await expectNothingWritten(async () => {
            expectRefused(await call(r.handler, { ...c, cookie }), 401, /sign in/);
          });
        } else {
          expect(withCookie.status, r.name).toBe((await call(r.handler, c)).status);
          expect(withCookie.status, r.name).toBeLessThan(500);
        }
      }
    });
  }
});
