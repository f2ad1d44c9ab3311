/**
 * The common shape of every API route handler (Web Request/Response only, no Next.js imports):
 * same-origin check on state-changing requests, rate limits on authentication endpoints, body
 * size limit and zod validation, the session or a bot token, and errors as `{error}` JSON with a
 * 4xx status — never a stack trace. Route files stay a few lines long.
 */
import type { z } from 'zod';
import { apiTokenFromHeader } from '../auth/api-tokens';
import { AuthRequiredError } from '../auth/context';
import { memoryAuthLimits, sharedAuthLimits, type AuthLimits } from '../auth/rate-limit';
import { SESSION_COOKIE, userForSessionToken } from '../auth/sessions';
import { isCountersignError, type CountersignErrorCode } from '../errors';
import type { ApiTokenRow } from '../store/api-tokens';
import { getApp, type App } from './app';
import { parseTrustProxy, type ProxyList } from '../config/trust-proxy';
import { clientAddress, installPeerAddressHook } from './client-address';
import { isCleanText } from './schemas';
import { hideServerPaths } from './server-paths';
import type { UserView } from './types';
import { readBodyText } from './body-text';

export const DEFAULT_MAX_BODY = 64 * 1024;

// Normally installed at start (lib/server/startup.ts); here too, so that no server runs without it.
installPeerAddressHook();

const STATUS: Record<CountersignErrorCode, number> = {
  'bad-input': 400,
  'bad-signature': 400,
  'bad-key': 400,
  'unsupported-algorithm': 400,
  'bad-allowed-signers': 422,
  'bad-policy': 422,
  'bad-note-line': 400,
  'bad-statement': 400,
  'unknown-commit': 404,
  'not-found': 404,
  forbidden: 403,
  conflict: 409,
  'git-failed': 502,
  'push-failed': 502,
  'tool-failed': 502,
  'repo-cloning': 503,
};

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const BASE_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };

export function json(data: unknown, init: { status?: number; headers?: Record<string, string> } = {}): Response {
  return new Response(JSON.stringify(data), {
    status: init.status ?? 200,
    headers: { 'content-type': 'application/json; charset=utf-8', ...BASE_HEADERS, ...init.headers },
  });
}

export function text(body: string, init: { status?: number; headers?: Record<string, string> } = {}): Response {
  return new Response(body, { status: init.status ?? 200, headers: { 'content-type': 'text/plain; charset=utf-8', ...BASE_HEADERS, ...init.headers } });
}

export function errorResponse(e: unknown): Response {
  if (e instanceof HttpError) return json({ error: e.message }, { status: e.status, headers: e.headers });
  if (e instanceof AuthRequiredError) return json({ error: e.message }, { status: 401 });
  if (isCountersignError(e)) {
    const status = STATUS[e.code] ?? 400;
    if (status >= 500) {
      // git's messages carry server paths: log them, tell the client what happened in general.
      console.error(`countersign: ${e.code}: ${e.message}`);
      return json({ error: e.code === 'git-failed' ? 'a git operation failed on the server; try again, and tell an admin if it persists' : e.message }, { status });
    }
    return json({ error: e.message }, { status });
  }
  console.error('countersign: internal error', e);
  return json({ error: 'internal error; try again, and tell an admin if it persists' }, { status: 500 });
}

// ---------------------------------------------------------------- rate limits (per service)

/**
 * Authentication endpoints: per client (its address; for approval, the signed-in user), and a
 * global ceiling per endpoint against floods from many (lib/auth/rate-limit.ts). In memory with
 * the embedded database (one process); in the shared database on PostgreSQL, so that several
 * instances behind one proxy share one budget instead of each allowing the full rate.
 */
const memoryLimits: AuthLimits = memoryAuthLimits();
const sharedLimits = new WeakMap<object, AuthLimits>();

function limitsFor(app: App): AuthLimits {
  if (app.db.kind !== 'postgres') return memoryLimits;
  let l = sharedLimits.get(app.db);
  if (!l) sharedLimits.set(app.db, (l = sharedAuthLimits(app.db)));
  return l;
}

const proxyLists = new WeakMap<object, ProxyList>();

/** The client's address (lib/server/client-address.ts), trusting forwarded headers only from `trustProxy`. */
export function requestClient(app: App, req: Request): string {
  let proxies = proxyLists.get(app.config);
  if (!proxies) {
    const parsed = parseTrustProxy(app.config.trustProxy);
    proxies = 'list' in parsed ? parsed.list : { trusts: () => false };
    proxyLists.set(app.config, proxies);
  }
  return clientAddress(req, proxies);
}

/** Forgets every window of the in-memory limits (tests that exercise other things through rate-limited routes). */
export function resetRateLimits(): void {
  memoryLimits.reset();
}

/** Lets a request of `who` to `bucket` through, or throws a 429 whose Retry-After is when one will be. */
export async function checkRateLimit(app: App, bucket: string, who: string): Promise<void> {
  const seconds = await limitsFor(app).take(bucket, who);
  if (seconds !== null) throw new HttpError(429, `too many attempts; wait ${seconds} s and try again`, { 'retry-after': String(seconds) });
}

// ---------------------------------------------------------------- origin, body

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Cross-site request forgery: a state-changing request must come from one of our origins. A
 * request without Origin is accepted only when it authenticates with a bot token (cookies play
 * no part then, so a forged cross-site request gains nothing).
 */
export function checkOrigin(app: App, req: Request, bearer: boolean): void {
  if (!MUTATING.has(req.method)) return;
  const origin = req.headers.get('origin');
  if (origin === null) {
    if (bearer) return;
    throw new HttpError(403, 'missing Origin header: state-changing requests must come from the app');
  }
  if (!app.config.origins.includes(origin)) throw new HttpError(403, `cross-origin request from ${origin.slice(0, 100)} refused`);
  if (req.headers.get('sec-fetch-site') === 'cross-site') throw new HttpError(403, 'cross-site request refused');
}

export async function readBody<T>(req: Request, schema: z.ZodType<T>, maxBytes = DEFAULT_MAX_BODY): Promise<T> {
  const declared = Number(req.headers.get('content-length') ?? '0');
  if (declared > maxBytes) throw new HttpError(413, `request body too large (limit ${maxBytes} bytes)`);
  const raw = await readBodyText(req, maxBytes, {
    tooLarge: () => new HttpError(413, `request body too large (limit ${maxBytes} bytes)`),
    notUtf8: () => new HttpError(400, 'the body is not valid UTF-8'),
  });
  let data: unknown = {};
  if (raw.length > 0) {
    const type = req.headers.get('content-type') ?? '';
    if (!/^application\/json\b/i.test(type)) throw new HttpError(415, 'send the body as application/json');
    try {
      data = JSON.parse(raw);
    } catch {
      throw new HttpError(400, 'the body is not valid JSON');
    }
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    throw new HttpError(400, `invalid request: ${where}${issue?.message ?? 'wrong shape'}`);
  }
  return parsed.data;
}

// ---------------------------------------------------------------- the wrapper

export type Auth = 'none' | 'optional' | 'user' | 'admin' | 'user-or-token';

export interface RouteContext<B, P> {
  app: App;
  req: Request;
  body: B;
  params: P;
  viewer: UserView | null;
  token: ApiTokenRow | null;
  sessionToken: string | null;
}

export interface RouteSpec<B> {
  auth: Auth;
  body?: z.ZodType<B>;
  maxBytes?: number;
  /** Rate-limit bucket (authentication endpoints). */
  rateLimit?: string;
  /**
   * Whose budget a request spends: the client address (default; checked before anything else), or
   * the signed-in user (checked once the session is known, so others cannot spend it).
   */
  rateLimitBy?: 'client' | 'user';
}

type Params = Record<string, string | string[] | undefined>;

/**
 * The session cookie's value from a Cookie header. A value that is not valid percent-encoding is
 * no session at all (as Next.js's own cookie parser treats it on pages), never an error.
 */
export function sessionCookieValue(header: string | null): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i <= 0 || part.slice(0, i).trim() !== SESSION_COOKIE) continue;
    try {
      const v = decodeURIComponent(part.slice(i + 1).trim());
      return v && isCleanText(v) ? v : null;
    } catch {
      return null;
    }
  }
  return null;
}

/** Builds a route handler: `export const POST = route({...}, async (c) => ...)`. */
export function route<B = undefined, P extends Params = Params>(
  spec: RouteSpec<B>,
  handler: (c: RouteContext<B, P>) => Promise<Response | unknown>,
): (req: Request, ctx: { params: Promise<P> }) => Promise<Response> {
  return async (req, ctx) => {
    let app: App | null = null;
    try {
      app = await getApp();
      if (spec.rateLimit && spec.rateLimitBy !== 'user') await checkRateLimit(app, spec.rateLimit, requestClient(app, req));
      // A request that carries a bot token is judged by the token alone: its cookie is ignored, so
      // the Origin check that bot requests skip never covers a cookie-authenticated request.
      const bearer = /^Bearer\s/i.test(req.headers.get('authorization') ?? '');
      checkOrigin(app, req, bearer && spec.auth === 'user-or-token');
      const sessionToken = bearer ? null : sessionCookieValue(req.headers.get('cookie'));
      let viewer: UserView | null = null;
      let token: ApiTokenRow | null = null;
      if (spec.auth !== 'none') {
        viewer = await userForSessionToken(app, sessionToken);
        if (!viewer && spec.auth === 'user-or-token' && bearer) {
          token = await apiTokenFromHeader(app, req.headers.get('authorization'));
          if (!token) throw new HttpError(401, 'unknown or revoked API token');
        }
        if (!viewer && !token && (spec.auth === 'user' || spec.auth === 'admin' || spec.auth === 'user-or-token')) {
          throw new AuthRequiredError();
        }
        if (spec.auth === 'admin' && !viewer!.isAdmin) throw new HttpError(403, 'only an admin can do that');
      }
      if (spec.rateLimit && spec.rateLimitBy === 'user') await checkRateLimit(app, spec.rateLimit, viewer ? `user:${viewer.id}` : requestClient(app, req));
      const body = (spec.body ? await readBody(req, spec.body, spec.maxBytes) : undefined) as B;
      const params = ((await ctx?.params) ?? {}) as P;
      const out = await handler({ app, req, body, params, viewer, token, sessionToken });
      return out instanceof Response ? out : json(out);
    } catch (e) {
      return errorResponse(app ? hideServerPaths(e, app) : e);
    }
  };
}

/**
 * A path parameter. Next.js hands a route handler the segment already percent-decoded (a segment
 * that does not decode never gets here: proxy.ts refuses it with a 400 first), so it is not decoded
 * again; a control character in it (`%00`, `%0A`) is a 400 naming the parameter.
 */
export function param(p: Params, name: string): string {
  const v = p[name];
  if (typeof v !== 'string' || v.length === 0 || v.length > 300) throw new HttpError(400, `missing or invalid ${name}`);
  if (!isCleanText(v)) throw new HttpError(400, `the ${name} in the URL contains control characters or broken Unicode`);
  return v;
}
