/**
 * A stand-in for a forge's REST API on a local port: every request is checked against GitHub's
 * published OpenAPI description (@octokit/openapi): the operation must exist for the method and
 * path, path parameters and the JSON body must match its schemas, and an Authorization header must
 * be sent. Accepted commit statuses are recorded; `down()` makes the forge unreachable.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { createPublicKey, verify as verifySignature } from 'node:crypto';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

const require = createRequire(import.meta.url);

type Schema = Record<string, any>;

let spec: Schema | null = null;
/** GitHub's OpenAPI description (api.github.com; its $refs are followed by `resolve`). */
export function githubOpenApi(): Schema {
  spec ??= JSON.parse(readFileSync(require.resolve('@octokit/openapi/generated/api.github.com.json'), 'utf8'));
  return spec!;
}

/** Follows a local `$ref` ("#/components/…") to what it names. */
export function resolve(s: Schema): Schema {
  let cur = s;
  for (let i = 0; cur && typeof cur.$ref === 'string' && i < 20; i++) {
    cur = cur.$ref
      .replace(/^#\//, '')
      .split('/')
      .reduce((o: any, k: string) => o?.[k.replace(/~1/g, '/').replace(/~0/g, '~')], githubOpenApi());
  }
  return cur;
}

/** The operation a request is for: the path template matching the path with the method defined. */
export function findOperation(method: string, path: string): { template: string; params: Record<string, string>; op: Schema } | null {
  const paths = githubOpenApi().paths as Record<string, Record<string, Schema>>;
  for (const [template, item] of Object.entries(paths)) {
    const names: string[] = [];
    const re = new RegExp(
      '^' +
        template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_m, name) => {
          names.push(name);
          return '([^/]+)';
        }) +
        '$',
    );
    const m = re.exec(path);
    const op = item[method.toLowerCase()];
    if (m && op) return { template, op, params: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1])])) };
  }
  return null;
}

/** JSON Schema (the OpenAPI 3.0 subset GitHub's description uses) → the list of violations. */
export function validate(schemaOrRef: Schema, value: unknown, at = '$'): string[] {
  const schema = resolve(schemaOrRef);
  const errs: string[] = [];
  if (value === null) return schema.nullable || schema.type === 'null' ? [] : [`${at}: null not allowed`];
  if (schema.allOf) for (const s of schema.allOf) errs.push(...validate(s, value, at));
  if (schema.anyOf && !schema.anyOf.some((s: Schema) => validate(s, value, at).length === 0)) errs.push(`${at}: matches none of anyOf`);
  if (schema.oneOf && schema.oneOf.filter((s: Schema) => validate(s, value, at).length === 0).length !== 1) errs.push(`${at}: must match exactly one of oneOf`);
  const t = schema.type;
  const actual = Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;
  if (t && !(t === actual || (t === 'number' && actual === 'integer'))) return [...errs, `${at}: expected ${t}, got ${actual}`];
  if (schema.enum && !schema.enum.includes(value)) errs.push(`${at}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`);
  if (typeof value === 'string') {
    if (schema.maxLength !== undefined && value.length > schema.maxLength) errs.push(`${at}: longer than ${schema.maxLength}`);
    if (schema.minLength !== undefined && value.length < schema.minLength) errs.push(`${at}: shorter than ${schema.minLength}`);
    if (schema.pattern && !new RegExp(schema.pattern).test(value)) errs.push(`${at}: does not match ${schema.pattern}`);
  }
  if (actual === 'array' && schema.items) (value as unknown[]).forEach((v, i) => errs.push(...validate(schema.items, v, `${at}[${i}]`)));
  if (actual === 'object') {
    const obj = value as Record<string, unknown>;
    for (const r of schema.required ?? []) if (!(r in obj)) errs.push(`${at}.${r}: required`);
    for (const [k, v] of Object.entries(obj)) {
      const ps = schema.properties?.[k];
      if (ps) errs.push(...validate(ps, v, `${at}.${k}`));
      else if (schema.additionalProperties === false) errs.push(`${at}.${k}: not allowed`);
      else if (typeof schema.additionalProperties === 'object') errs.push(...validate(schema.additionalProperties, v, `${at}.${k}`));
    }
  }
  return errs;
}

export interface ForgeRequest {
  method: string;
  path: string;
  operationId: string;
  params: Record<string, string>;
  body: any;
  authorization: string | undefined;
}

export interface FakeForge {
  url: string;
  /** Requests that passed the OpenAPI checks and were answered 201. */
  accepted: ForgeRequest[];
  /** Requests that failed a check, with why (a test expects none). */
  violations: { method: string; path: string; errors: string[] }[];
  statuses(sha?: string): { sha: string; state: string; description: string; target_url: string; context: string }[];
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

/** A GitHub App the fake forge knows: installation tokens are issued for a JWT signed with its key. */
export interface FakeApp {
  appId: string;
  installationId: number;
  publicKeyPem: string;
  /** The installation token handed out (then accepted like `token`). */
  installationToken: string;
}

/** The JWT's claims when its RS256 signature verifies with `pem`, else null. */
function verifyJwt(jwt: string, pem: string): Record<string, any> | null {
  const [h, p, sig] = jwt.split('.');
  if (!h || !p || !sig) return null;
  const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
  if (header.alg !== 'RS256') return null;
  const ok = verifySignature('RSA-SHA256', Buffer.from(`${h}.${p}`), createPublicKey(pem), Buffer.from(sig, 'base64url'));
  return ok ? JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) : null;
}

/** Starts the fake forge; `token` is the credential it expects (`token <t>` or `Bearer <t>`). */
export async function startFakeForge(opts: { token: string; port?: number; app?: FakeApp } = { token: 'test-token' }): Promise<FakeForge> {
  const accepted: ForgeRequest[] = [];
  const violations: FakeForge['violations'] = [];
  let server: Server;
  let port = opts.port ?? 0;
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://forge.test');
      const method = req.method ?? 'GET';
      const errors: string[] = [];
      const found = findOperation(method, url.pathname);
      let body: any;
      const raw = Buffer.concat(chunks).toString('utf8');
      if (!found) errors.push(`no operation in GitHub's OpenAPI description for ${method} ${url.pathname}`);
      else {
        for (const p of (found.op.parameters ?? []).map(resolve)) {
          if (p.in === 'path') {
            if (!(p.name in found.params)) errors.push(`path parameter ${p.name} missing`);
            else {
              // A path segment is text; OpenAPI's integer parameters are digits in it.
              const t = resolve(p.schema ?? {}).type;
              const v = found.params[p.name];
              const typed = (t === 'integer' || t === 'number') && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
              errors.push(...validate(p.schema ?? {}, typed, `path.${p.name}`));
            }
          }
        }
        const rb = found.op.requestBody && resolve(found.op.requestBody);
        if (rb) {
          const type = String(req.headers['content-type'] ?? '');
          if (raw && !/^application\/json\b/.test(type)) errors.push(`content-type ${type}, expected application/json`);
          try {
            body = raw ? JSON.parse(raw) : undefined;
          } catch {
            errors.push('body is not JSON');
          }
          if (body === undefined && rb.required) errors.push('body required');
          else if (body !== undefined) errors.push(...validate(rb.content['application/json'].schema, body, 'body'));
        }
      }
      const auth = req.headers.authorization;
      const credential = /^(?:token|bearer) (\S+)$/i.exec(auth ?? '')?.[1];
      let response: unknown = undefined;
      if (found?.op.operationId === 'apps/create-installation-access-token') {
        // A GitHub App authenticates as itself with a JWT (RS256, iss = app id) to get an installation token.
        const claims = opts.app && credential ? verifyJwt(credential, opts.app.publicKeyPem) : null;
        if (!claims || String(claims.iss) !== opts.app!.appId || claims.exp <= Date.now() / 1000) errors.push('authorization header: not a valid JWT of the app');
        else if (found.params.installation_id !== String(opts.app!.installationId)) errors.push('unknown installation');
        else response = { token: opts.app!.installationToken, expires_at: new Date(Date.now() + 3600_000).toISOString(), permissions: { statuses: 'write' }, repository_selection: 'selected' };
      } else if (!credential || (credential !== opts.token && credential !== opts.app?.installationToken)) {
        errors.push(`authorization header ${auth ? 'has the wrong credential' : 'missing'}`);
      }
      if (!String(req.headers.accept ?? '').includes('application/vnd.github')) errors.push('accept header is not application/vnd.github…');
      if (errors.length) {
        violations.push({ method, path: url.pathname, errors });
        res.writeHead(errors.some((e) => e.startsWith('authorization')) ? 401 : 422, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: errors.join('; ') }));
        return;
      }
      accepted.push({ method, path: url.pathname, operationId: found!.op.operationId, params: found!.params, body, authorization: auth });
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify(response ?? { id: accepted.length, state: body?.state, context: body?.context ?? 'default', created_at: new Date().toISOString() }));
    });
  };
  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer(handler);
      server.listen(port, '127.0.0.1', () => {
        port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  await listen();
  const f: FakeForge = {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    accepted,
    violations,
    statuses(sha) {
      return accepted
        .filter((a) => a.operationId === 'repos/create-commit-status' && (!sha || a.params.sha === sha))
        .map((a) => ({ sha: a.params.sha, ...a.body }));
    },
    async down() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
    async up() {
      await listen();
    },
    async close() {
      if (server.listening) await f.down();
    },
  };
  return f;
}
