import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { CountersignError } from '../errors';
import { parseTrustProxy } from './trust-proxy';
import { REPOSITORY_RE } from '../statement/fields';
import { forgeSchema, resolveForge, type ForgeConfig } from './forge';

/**
 * Server configuration: an optional JSON file (COUNTERSIGN_CONFIG, else ./countersign.config.json
 * when present) overlaid by environment variables. Everything is validated at start so a typo is
 * a clear message, not a confusing failure on the first request.
 */

export const DEFAULT_NOTES_REF = 'refs/notes/countersign';
export const DEMO_REPOSITORY = 'demo';

/** An e-mail address that is also a valid SSH principal (what it becomes in allowed_signers). */
export const EMAIL_RE = /^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*$/;
const NOTES_REF_RE = /^refs\/notes\/[A-Za-z0-9._\/-]+$/;
const REF_RE = /^refs\/[A-Za-z0-9._\/-]+$/;

const repositorySchema = z.object({
  // The name is a URL path segment and names the server's clone under the data directory.
  name: z
    .string()
    .regex(REPOSITORY_RE, 'use 1–200 printable ASCII characters without spaces')
    .refine((s) => !/[/\\]/.test(s), 'a repository name cannot contain "/" or "\\" (it is a URL path segment and a folder name)')
    .refine((s) => s !== '.' && s !== '..', 'a repository cannot be named "." or ".." (it would name a folder outside the clones)'),
  remote: z.string().min(1, 'give the URL or path of the remote'),
  /** Default: the trusted policy's notesRef (itself refs/notes/countersign unless set); if given, it must agree with the policy. */
  notesRef: z.string().regex(NOTES_REF_RE, 'expected refs/notes/<name>').optional(),
  /** Where the trusted policy is read from (a ref in the server's clone); default: the remote's default branch. */
  policyRef: z.string().regex(REF_RE, 'expected a full ref such as refs/remotes/origin/main').optional(),
  /** How the server's clone is made: "partial" (commits and trees, file contents on demand; the default) or "full". */
  clone: z.enum(['partial', 'full']).optional(),
  /** Its forge: webhooks in, commit statuses out (lib/config/forge.ts, lib/forge). */
  forge: forgeSchema.optional(),
});

const originSchema = z.string().refine((s) => {
  try {
    const u = new URL(s);
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.origin === s;
  } catch {
    return false;
  }
}, 'expected an origin such as https://sign.example.org (scheme, host, optional port; no path or trailing slash)');

const fileSchema = z
  .object({
    dataDir: z.string().min(1).optional(),
    port: z.number().int().min(1).max(65535).optional(),
    rpId: z.string().min(1).optional(),
    rpName: z.string().min(1).max(100).optional(),
    origins: z.array(originSchema).min(1).optional(),
    /** Base URL for links the server prints (invite URLs); default: the first origin. */
    publicUrl: originSchema.optional(),
    databaseUrl: z.string().min(1).optional(),
    repositories: z.array(repositorySchema).optional(),
    /** Bootstrap the demo repository; default: only when no repositories are configured. */
    demo: z.boolean().optional(),
    /** E-mail of the first admin, whose invite the server prints while nobody is enrolled. */
    adminEmail: z.string().optional(),
    /** Reverse proxies whose X-Forwarded-For is believed: addresses, CIDR blocks, or "loopback". */
    trustProxy: z.union([z.string(), z.array(z.string())]).optional(),
    /** Who runs this server, for Web Push services (VAPID `sub`): a mailto: or https: URL. */
    vapidSubject: z.string().optional(),
  })
  .strict();

export type RepositoryConfig = Omit<z.infer<typeof repositorySchema>, 'forge'> & { forge?: ForgeConfig };

export interface Config {
  dataDir: string;
  port: number;
  rpId: string;
  rpName: string;
  origins: string[];
  publicUrl: string;
  /** PostgreSQL connection string; absent → embedded PGlite under dataDir/db. */
  databaseUrl: string | null;
  repositories: RepositoryConfig[];
  demo: boolean;
  adminEmail: string;
  /** Proxies whose forwarded headers name the client (lib/server/client-address.ts); empty: none. */
  trustProxy: string[];
  /** VAPID subject (mailto: or https:) sent to push services with every notification (lib/notify). */
  vapidSubject: string;
  /** Where the configuration came from, for messages. */
  source: string;
}

type Env = Record<string, string | undefined>;

function fail(source: string, message: string): never {
  throw new CountersignError('bad-input', `configuration (${source}): ${message}`);
}

function issuesText(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`).join('; ');
}

export function loadConfig(opts: { env?: Env; cwd?: string } = {}): Config {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const explicit = env.COUNTERSIGN_CONFIG;
  const file = explicit ? path.resolve(cwd, explicit) : path.join(cwd, 'countersign.config.json');
  let raw: unknown = {};
  let source = 'defaults';
  if (explicit && !existsSync(file)) fail(file, 'COUNTERSIGN_CONFIG names a file that does not exist');
  if (existsSync(file)) {
    source = file;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      fail(file, `not valid JSON: ${(e as Error).message}`);
    }
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) fail(source, issuesText(parsed.error));
  const f = parsed.data;

  const envPort = env.PORT ?? env.COUNTERSIGN_PORT;
  let port = f.port ?? 3000;
  if (envPort !== undefined && envPort !== '') {
    const n = Number(envPort);
    if (!Number.isInteger(n) || n < 1 || n > 65535) fail('environment', `PORT ${JSON.stringify(envPort)} is not a port number`);
    port = n;
  }
  const rpId = env.COUNTERSIGN_RP_ID || f.rpId || 'localhost';
  const rpName = env.COUNTERSIGN_RP_NAME || f.rpName || 'Countersign';
  let origins = f.origins ?? [`http://localhost:${port}`];
  if (env.COUNTERSIGN_ORIGINS) {
    origins = env.COUNTERSIGN_ORIGINS.split(',').map((s) => s.trim()).filter(Boolean);
    const o = z.array(originSchema).min(1).safeParse(origins);
    if (!o.success) fail('environment', `COUNTERSIGN_ORIGINS: ${issuesText(o.error)}`);
  }
  for (const origin of origins) {
    const host = new URL(origin).hostname;
    // WebAuthn: the RP ID must be the origin's host or a registrable suffix of it.
    if (host !== rpId && !host.endsWith('.' + rpId)) {
      fail(source, `origin ${origin} is not on the RP ID "${rpId}" (its host must equal the RP ID or end with ".${rpId}")`);
    }
    if (new URL(origin).protocol === 'http:' && host !== 'localhost' && !host.endsWith('.localhost')) {
      fail(source, `origin ${origin} uses http: passkeys need https off localhost (see README, "Deploying behind HTTPS")`);
    }
  }
  const publicUrl = env.COUNTERSIGN_PUBLIC_URL || f.publicUrl || origins[0];
  if (!originSchema.safeParse(publicUrl).success) fail(source, `publicUrl ${publicUrl} is not an origin`);
  const dataDir = path.resolve(cwd, env.COUNTERSIGN_DATA_DIR || f.dataDir || 'data');
  const databaseUrl = env.DATABASE_URL || f.databaseUrl || null;

  // A forge's secrets (literal, environment, file) are read now, so a missing one fails the start.
  const forgeOf = (name: string, forge: NonNullable<z.output<typeof repositorySchema>['forge']>): ForgeConfig => {
    try {
      return resolveForge(forge, env, source === 'defaults' ? cwd : path.dirname(source));
    } catch (e) {
      fail(source, `repositories.${name}.forge: ${(e as Error).message}`);
    }
  };
  const configured: RepositoryConfig[] = (f.repositories ?? []).map(({ forge, ...r }) => ({
    ...r,
    // A relative path to a local remote is relative to the config file's folder (or cwd).
    remote: isUrlLike(r.remote) ? r.remote : path.resolve(source === 'defaults' ? cwd : path.dirname(source), r.remote),
    ...(forge ? { forge: forgeOf(r.name, forge) } : {}),
  }));
  const demo = f.demo ?? configured.length === 0;
  const repositories: RepositoryConfig[] = [...configured];
  if (demo && !repositories.some((r) => r.name === DEMO_REPOSITORY)) {
    repositories.push({ name: DEMO_REPOSITORY, remote: path.join(dataDir, 'demo-remote.git') });
  }
  const names = new Set<string>();
  for (const r of repositories) {
    if (names.has(r.name)) fail(source, `repository "${r.name}" is configured twice`);
    names.add(r.name);
  }
  const adminEmail = (env.COUNTERSIGN_ADMIN_EMAIL || f.adminEmail || 'admin@localhost').toLowerCase();
  if (!EMAIL_RE.test(adminEmail)) fail(source, `admin e-mail ${JSON.stringify(adminEmail)} is not an e-mail address`);
  const trustProxyText = env.COUNTERSIGN_TRUST_PROXY;
  const trustProxy = (trustProxyText !== undefined && trustProxyText !== '' ? trustProxyText.split(',') : typeof f.trustProxy === 'string' ? [f.trustProxy] : (f.trustProxy ?? []))
    .map((s) => s.trim())
    .filter(Boolean);
  const proxies = parseTrustProxy(trustProxy);
  if ('error' in proxies) fail(trustProxyText ? 'environment' : source, `trustProxy: ${proxies.error}`);
  // Push services contact this address about a misbehaving sender; default: the public site when it is
  // https, else the admin's address.
  const vapidSubject = env.COUNTERSIGN_VAPID_SUBJECT || f.vapidSubject || (publicUrl.startsWith('https:') ? publicUrl : `mailto:${adminEmail}`);
  if (!/^(mailto:[^\s]+@[^\s]+|https:\/\/[^\s]+)$/.test(vapidSubject)) {
    fail(env.COUNTERSIGN_VAPID_SUBJECT ? 'environment' : source, `vapidSubject ${JSON.stringify(vapidSubject)} must be a mailto: or https: URL (e.g. mailto:ops@example.org)`);
  }
  return { dataDir, port, rpId, rpName, origins, publicUrl, databaseUrl, repositories, demo, adminEmail, trustProxy, vapidSubject, source };
}

/**
 * A remote as it may be shown to users: a URL's user name and password (where credentials end up,
 * `https://user:token@host/…`) are removed. The `git@` of `git@host:path` is a login name, not a
 * secret, and stays.
 */
export function publicRemote(remote: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(remote)) return remote;
  try {
    const u = new URL(remote);
    if (!u.username && !u.password) return remote;
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    // Not parseable as a URL: cut everything up to an @ in the authority part.
    return remote.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
  }
}

function isUrlLike(s: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(s) || /^[^/\\]+@[^:]+:/.test(s);
}
