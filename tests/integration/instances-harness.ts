/**
 * Several Countersign instances on one PostgreSQL cluster and one bare remote, for the
 * multi-instance tests: a throwaway cluster (initdb + postgres, as the "postgres" user when run as
 * root), instances as real processes (tests/integration/instances-server.ts: killable with
 * SIGKILL), and an HTTP client that drives enrollment and approval through the real routes.
 *
 * Without PostgreSQL's binaries the tests skip saying so — except under CI, where a skip would hide
 * a missing install step (.ci/run installs PostgreSQL): there it is a failure.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createPasskey, getAssertion, toAuthenticationResponseJSON, toRegistrationResponseJSON, type SoftPasskey } from '../support/soft-authenticator';

const execFileP = promisify(execFile);
export const ORIGIN = 'http://localhost:3000';
const REPO_ROOT = path.resolve(import.meta.dirname, '../..');

// ---------------------------------------------------------------- the cluster

function findBin(name: string): string | null {
  for (const d of [...(process.env.PATH ?? '').split(':'), '/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin']) {
    if (d && existsSync(path.join(d, name))) return path.join(d, name);
  }
  return null;
}

/** setpriv execs in place (no intermediate process), so signals reach postgres itself. */
function wrap(user: string | null, cmd: string, args: string[]): [string, string[]] {
  return user ? ['setpriv', [`--reuid=${user}`, `--regid=${user}`, '--init-groups', cmd, ...args]] : [cmd, args];
}

export interface Cluster {
  /** Why the tests cannot run here (null: they can). */
  skipReason: string | null;
  /** A connection string for database `db` (default "postgres"). */
  url(db?: string): string;
  /** Creates an empty database and returns its connection string. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

let nextPort = 54329 + (process.pid % 200) * 2;

/** A fresh PostgreSQL cluster in a temporary directory (fsync off: it is thrown away). */
export async function startCluster(): Promise<Cluster> {
  const initdb = findBin('initdb');
  const postgres = findBin('postgres');
  let skipReason: string | null = initdb && postgres ? null : 'PostgreSQL binaries (initdb, postgres) not found';
  let user: string | null = null;
  if (!skipReason && userInfo().uid === 0) {
    // PostgreSQL refuses to run as root: as root, run it as the "postgres" user.
    try {
      await execFileP('id', ['postgres']);
      user = 'postgres';
    } catch {
      skipReason = 'running as root without a "postgres" user to run PostgreSQL as';
    }
  }
  if (skipReason) {
    if (process.env.CI) throw new Error(`${skipReason}; .ci/run should have installed PostgreSQL`);
    return { skipReason, url: () => '', createDatabase: async () => '', stop: async () => {} };
  }
  const root = mkdtempSync(path.join(tmpdir(), 'cs-pg-'));
  const pgdata = path.join(root, 'pgdata');
  const sock = mkdtempSync(path.join(tmpdir(), 'cs-pgsock-'));
  if (user) {
    const uid = Number((await execFileP('id', ['-u', user])).stdout.trim());
    chmodSync(root, 0o777);
    chownSync(sock, uid, -1);
  }
  const port = nextPort;
  nextPort += 2;
  const [c1, a1] = wrap(user, initdb!, ['-D', pgdata, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  await execFileP(c1, a1);
  const [c2, a2] = wrap(user, postgres!, ['-D', pgdata, '-k', sock, '-c', 'listen_addresses=', '-c', 'fsync=off', '-c', 'max_connections=200', '-p', String(port)]);
  const server: ChildProcess = spawn(c2, a2, { stdio: 'ignore' });
  const url = (db = 'postgres') => `postgresql://postgres@localhost/${db}?host=${encodeURIComponent(sock)}&port=${port}`;
  const pg = (await import('pg')).default;
  const admin = async <T>(f: (c: InstanceType<typeof pg.Client>) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: url() });
    await client.connect();
    try {
      return await f(client);
    } finally {
      await client.end();
    }
  };
  for (let i = 0; ; i++) {
    try {
      await admin(async () => {});
      break;
    } catch (e) {
      if (i > 100) throw e;
      await sleep(100);
    }
  }
  return {
    skipReason: null,
    url,
    async createDatabase(name) {
      await admin((c) => c.query(`create database ${name}`));
      return url(name);
    },
    async stop() {
      // Let the backends see the clients' goodbyes before the server's fast shutdown.
      await sleep(200);
      if (server.exitCode === null) {
        const exited = new Promise((r) => server.once('exit', r));
        server.kill('SIGINT'); // fast shutdown
        await exited;
      }
      await rm(root, { recursive: true, force: true });
      await rm(sock, { recursive: true, force: true });
    },
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- instances as processes

export interface Instance {
  name: string;
  dataDir: string;
  port: number;
  pid: number;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** SIGKILL: no goodbye to the database, no cleanup. */
  kill(): Promise<void>;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
}

export interface InstanceSpec {
  name: string;
  dataDir: string;
  databaseUrl: string;
  /** Written as the instance's COUNTERSIGN_CONFIG file. */
  config: Record<string, unknown>;
  env?: Record<string, string>;
}

/** Starts `node --import tsx instances-server.ts` and waits for it to listen. */
export async function startInstance(spec: InstanceSpec): Promise<Instance> {
  const configFile = `${spec.dataDir}.json`;
  writeFileSync(configFile, JSON.stringify({ dataDir: spec.dataDir, ...spec.config }));
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'tests/integration/instances-server.ts')], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      DATABASE_URL: spec.databaseUrl,
      COUNTERSIGN_CONFIG: configFile,
      COUNTERSIGN_DATA_DIR: spec.dataDir,
      PORT: '3000',
      INSTANCE_PORT: '0',
      ...spec.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`instance ${spec.name} did not start:\n${out}`)), 45_000);
    const check = () => {
      const m = /LISTENING (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`instance ${spec.name} exited (${code}):\n${out}`));
    });
  });
  return {
    name: spec.name,
    dataDir: spec.dataDir,
    port,
    pid: child.pid!,
    output: () => out,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

// ---------------------------------------------------------------- the HTTP client

export interface Answer {
  status: number;
  body: any;
  headers: http.IncomingHttpHeaders;
}

/** One request to an instance; rejects when the connection fails (a killed instance). */
export function request(
  inst: Pick<Instance, 'port'>,
  method: string,
  urlPath: string,
  o: { body?: unknown; cookie?: string; from?: string } = {},
): Promise<Answer> {
  const payload = o.body === undefined ? undefined : Buffer.from(JSON.stringify(o.body));
  const headers: Record<string, string> = {};
  if (method !== 'GET') headers.origin = ORIGIN;
  if (payload) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(payload.length);
  }
  if (o.cookie) headers.cookie = o.cookie;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: inst.port, method, path: urlPath, headers, localAddress: o.from, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: any = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
      });
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error('timed out')));
    req.end(payload);
  });
}

export interface Client {
  email: string;
  cookie: string;
  passkey: SoftPasskey;
  /** Client address (127.0.0.x), so that per-client limits of one test do not meet another's. */
  from: string;
}

/** Enrolls with an invite token: options on `first`, verify on `second`. */
export async function enrollAcross(first: Instance, second: Instance, inviteToken: string, o: { from: string; counter?: number; email: string }): Promise<Client> {
  const opts = await request(first, 'POST', '/api/auth/register/options', { body: { inviteToken }, from: o.from });
  if (opts.status !== 200) throw new Error(`register options: ${opts.status} ${JSON.stringify(opts.body)}`);
  const passkey = createPasskey({ rpId: 'localhost', userHandle: new Uint8Array(Buffer.from(opts.body.user.id, 'base64url')), counter: o.counter });
  const response = toRegistrationResponseJSON(passkey, { challenge: opts.body.challenge, origin: ORIGIN });
  const verified = await request(second, 'POST', '/api/auth/register/verify', { body: { inviteToken, deviceName: 'Phone', response }, from: o.from });
  if (verified.status !== 200) throw new Error(`register verify: ${verified.status} ${JSON.stringify(verified.body)}`);
  const cookie = String(verified.headers['set-cookie']?.[0] ?? '').split(';')[0];
  return { email: o.email, cookie, passkey, from: o.from };
}

export const approvePath = (commit: string, step: 'options' | 'verify', repo = 'demo') => `/api/repos/${repo}/commits/${commit}/approve/${step}`;

/** Step 1 on `first`: the prepared approval (its id and the challenge the passkey signs). */
export async function approveOptionsOn(inst: Instance, c: Client, commit: string): Promise<Answer> {
  return request(inst, 'POST', approvePath(commit, 'options'), { body: { verdict: 'approve' }, cookie: c.cookie, from: c.from });
}

/** Step 2 on `inst`: the passkey's assertion over a prepared approval. */
export async function approveVerifyOn(inst: Instance, c: Client, commit: string, prepared: any, o: { counter?: number } = {}): Promise<Answer> {
  const a = getAssertion(c.passkey, { challenge: new Uint8Array(Buffer.from(prepared.options.challenge, 'base64url')), origin: ORIGIN, counter: o.counter });
  return request(inst, 'POST', approvePath(commit, 'verify'), {
    body: { approvalId: prepared.approvalId, response: toAuthenticationResponseJSON(a) },
    cookie: c.cookie,
    from: c.from,
  });
}

/** The whole ceremony, options on `first` and verify on `second`. */
export async function approveAcross(first: Instance, second: Instance, c: Client, commit: string, o: { counter?: number } = {}): Promise<Answer> {
  const prepared = await approveOptionsOn(first, c, commit);
  if (prepared.status !== 200) return prepared;
  return approveVerifyOn(second, c, commit, prepared.body, o);
}

// ---------------------------------------------------------------- a service: N instances, one database, one remote

export interface Service {
  root: string;
  databaseUrl: string;
  remote: string;
  /** Demo commits on main, oldest first. */
  commits: string[];
  instances: Instance[];
  /** Starts (or restarts, on its data dir) instance number `i`; `remote` overrides the repository's remote URL. */
  start(i: number, o?: { env?: Record<string, string>; remote?: string }): Promise<Instance>;
  /** A one-time invite token made directly in the shared database (as `countersign invite` does). */
  invite(email: string): Promise<string>;
  /** A new commit on a new branch of the remote (or only under `ref`, on no branch), pushed now; its id. */
  pushCommit(branch: string, o?: { ref?: string }): Promise<string>;
  close(): Promise<void>;
}

let serviceCount = 0;

/** `n` instances on a fresh database of `cluster`, sharing one bare remote made like the demo. */
export async function startService(cluster: Cluster, n: number, o: { env?: Record<string, string>; start?: boolean } = {}): Promise<Service> {
  const { mkdtemp } = await import('node:fs/promises');
  const { ensureDemoRemote } = await import('../../lib/server/demo-remote');
  const { openStore } = await import('../../lib/store/open');
  const { createInvite } = await import('../../lib/auth/invites');
  const { loadConfig } = await import('../../lib/config/config');
  const { gitIn } = await import('./app-harness');
  const root = await mkdtemp(path.join(tmpdir(), 'cs-instances-'));
  const databaseUrl = await cluster.createDatabase(`svc_${process.pid}_${++serviceCount}`);
  const remote = path.join(root, 'remote.git');
  await ensureDemoRemote(remote, { rpId: 'localhost', origins: [ORIGIN] });
  const commits = (await gitIn(remote, 'rev-list', '--reverse', 'main')).trim().split('\n');
  const config = loadConfig({ env: { DATABASE_URL: databaseUrl, COUNTERSIGN_DATA_DIR: path.join(root, 'cli'), PORT: '3000' }, cwd: root });
  let store: Awaited<ReturnType<typeof openStore>> | null = null;
  const instances: Instance[] = [];
  let branches = 0;
  const svc: Service = {
    root,
    databaseUrl,
    remote,
    commits,
    instances,
    async start(i, so = {}) {
      const inst = await startInstance({
        name: `i${i}`,
        dataDir: path.join(root, `i${i}`),
        databaseUrl,
        config: { repositories: [{ name: 'demo', remote: so.remote ?? remote }] },
        env: { ...o.env, ...so.env },
      });
      instances[i] = inst;
      return inst;
    },
    async invite(email) {
      store ??= await openStore(config, 'cli');
      return (await createInvite({ config, db: store.db }, email)).token;
    },
    async pushCommit(branch, po = {}) {
      const work = path.join(root, `work-${++branches}`);
      await gitIn(root, 'clone', '--quiet', remote, work);
      await gitIn(work, 'checkout', '--quiet', '-b', branch);
      writeFileSync(path.join(work, `${branch}.txt`), `${branch}\n`);
      await gitIn(work, 'add', '.');
      await gitIn(work, 'commit', '--quiet', '-m', `Add ${branch}`);
      await gitIn(work, 'push', '--quiet', 'origin', po.ref ? `HEAD:${po.ref}` : branch);
      return (await gitIn(work, 'rev-parse', 'HEAD')).trim();
    },
    async close() {
      await Promise.all(instances.filter(Boolean).map((x) => x.stop()));
      await store?.close();
      await rm(root, { recursive: true, force: true });
    },
  };
  if (o.start !== false) await Promise.all(Array.from({ length: n }, (_, i) => svc.start(i)));
  return svc;
}
