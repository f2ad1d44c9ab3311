import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { AuthContext } from '../auth/context';
import { createInvite } from '../auth/invites';
import { loadConfig, type Config } from '../config/config';
import { CountersignError } from '../errors';
import type { Db } from '../store/db';
import { openStore, type OpenedStore } from '../store/open';
import { countUsers } from '../store/users';
import { deleteExpiredSessions } from '../store/sessions';
import { deleteOldChallenges } from '../store/challenges';
import { callControl, controlSocketPath, startControlServer, type ControlRequest } from './control';
import { ensureDemoRemote } from './demo-remote';
import { AppEvents } from './events';
import { Publisher } from './publisher';
import { openRepo, repoNotFound, type RepoHandle } from './repos';
import { createRequest } from './requests';
import { mayAnnounceFirstAdmin, startInstances } from '../instances';
import { startForge } from '../forge/start';
import { startNotifications } from '../notify';

/**
 * The running server: configuration, database, the server's clones of the configured
 * repositories, and the notes publisher. One per process (see getApp).
 */
export interface App extends AuthContext {
  config: Config;
  db: Db;
  repos: Map<string, RepoHandle>;
  publisher: Publisher;
  /** What happened here, for forge statuses, notifications and other instances (lib/server/events.ts). */
  events: AppEvents;
  repo(name: string): RepoHandle;
  close(): Promise<void>;
}

export interface OpenAppOptions {
  /** Listen on the control socket for the CLI (embedded database only). Default true. */
  control?: boolean;
  /** Publisher retry interval and its cap (ms); tests shorten them. */
  retryMs?: number;
  maxRetryMs?: number;
  log?: (line: string) => void;
}

export async function openApp(config: Config, opts: OpenAppOptions = {}): Promise<App> {
  const log = opts.log ?? ((l: string) => console.log(l));
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  if (config.demo) {
    const demo = config.repositories.find((r) => r.remote === path.join(config.dataDir, 'demo-remote.git'));
    if (demo) {
      const { created } = await ensureDemoRemote(demo.remote, { rpId: config.rpId, origins: config.origins });
      if (created) log(`countersign: created the demo repository at ${demo.remote}`);
    }
  }
  const wantControl = (opts.control ?? true) && !config.databaseUrl;
  const socket = wantControl ? controlSocketPath(config.dataDir) : undefined;
  const store: OpenedStore = await openStore(config, 'server', socket);
  const repos = new Map<string, RepoHandle>();
  let control: { close(): Promise<void> } | null = null;
  let publisher: Publisher | null = null;
  let housekeeping: NodeJS.Timeout | null = null;
  let closed = false;
  const events = new AppEvents(log);
  try {
    for (const r of config.repositories) {
      const handle = await openRepo(config.dataDir, r, { log }); // never waits for a clone or a fetch
      handle.onRemoteReachable(() => events.emit('fetched', { repo: r.name }));
      repos.set(r.name, handle);
    }
    publisher = new Publisher(repos, { retryMs: opts.retryMs, maxRetryMs: opts.maxRetryMs, log });
    const app: App = {
      config,
      db: store.db,
      repos,
      publisher,
      events,
      repo(name) {
        const r = typeof name === 'string' ? repos.get(name) : undefined;
        if (!r) throw repoNotFound(name);
        return r;
      },
      async close() {
        if (closed) return;
        closed = true;
        if (housekeeping) clearInterval(housekeeping);
        for (const r of repos.values()) r.close();
        await control?.close();
        await publisher?.stop();
        await store.close();
      },
    };
    if (socket) control = await startControlServer(socket, (req) => handleControl(app, req));
    // Several instances on one PostgreSQL (lib/instances): joined before the first push below.
    const joined = await startInstances(app, log);
    if (joined) {
      const closeApp = app.close;
      app.close = async () => {
        await joined.close();
        await closeApp();
      };
    }
    // Notes saved before a restart but never pushed go out now.
    publisher.start();
    startForge(app, { retryMs: opts.retryMs, maxRetryMs: opts.maxRetryMs, log }); // forge statuses (lib/forge)
    await startNotifications(app, { log }); // Web Push: review requests, alarms (lib/notify)
    housekeeping = setInterval(() => {
      deleteExpiredSessions(app.db).catch(() => {});
      deleteOldChallenges(app.db).catch(() => {});
    }, 60 * 60 * 1000);
    housekeeping.unref();
    return app;
  } catch (e) {
    await control?.close();
    await publisher?.stop();
    await store.close();
    throw e;
  }
}

/** What administrative operations need: the database, and a repository's clone by name. */
export interface AdminContext extends AuthContext {
  repo(name: string): RepoHandle;
  /** Absent when the CLI works on the data directly (no server running). */
  events?: AppEvents;
}

async function handleControl(app: AdminContext, req: ControlRequest): Promise<unknown> {
  switch (req.op) {
    case 'ping':
      return { pid: process.pid };
    case 'invite':
      return createInvite(app, req.email, { admin: req.admin, ttlMs: req.ttlMs });
    case 'request':
      return createRequest(app, { repo: req.repo, commit: req.commit, base: req.base, requestedBy: req.requestedBy });
  }
}

/**
 * While nobody is enrolled, each start prints a fresh one-time admin invite (the token is stored
 * hashed, so an earlier one cannot be shown again; earlier ones stay valid until they expire).
 */
export async function announceFirstAdminInvite(app: App, log: (l: string) => void = (l) => console.log(l)): Promise<string | null> {
  if ((await countUsers(app.db)) > 0) return null;
  // (several instances) one announces, whichever starts first; a restart of it announces afresh.
  if (!(await mayAnnounceFirstAdmin(app))) {
    log('countersign: nobody is enrolled yet; another instance printed the first admin\'s invite');
    return null;
  }
  const invite = await createInvite(app, app.config.adminEmail, { admin: true });
  log(
    [
      '',
      `countersign: nobody is enrolled yet. Open this one-time link to enroll the first admin (${invite.email}),`,
      `countersign: valid until ${invite.expiresAt} (set COUNTERSIGN_ADMIN_EMAIL to use another address):`,
      '',
      `    ${invite.url}`,
      '',
    ].join('\n'),
  );
  return invite.url;
}

// ---------------------------------------------------------------- the process-wide instance

const GLOBAL_KEY = Symbol.for('countersign.app');
type Holder = { promise?: Promise<App> };
const holder: Holder = ((globalThis as any)[GLOBAL_KEY] ??= {});

/**
 * The app of this process, opened on first use. Kept on globalThis so that module re-evaluation
 * (Next.js dev reloads) reuses it instead of opening the embedded database a second time.
 */
export function getApp(): Promise<App> {
  if (!holder.promise) {
    holder.promise = (async () => {
      const app = await openApp(loadConfig());
      await announceFirstAdminInvite(app);
      return app;
    })();
    holder.promise.catch(() => {
      holder.promise = undefined; // a failed start (bad config, locked dir) is retried on the next request
    });
  }
  return holder.promise;
}

/** For tests and scripts that open their own app. */
export async function closeGlobalApp(): Promise<void> {
  const p = holder.promise;
  holder.promise = undefined;
  if (p) await (await p).close();
}

// ---------------------------------------------------------------- the CLI's way in

/**
 * Runs an administrative operation for the CLI against the same data as the server. With
 * PostgreSQL, directly. With the embedded database: through the running server's control socket
 * if a server holds the data directory; otherwise by opening the database briefly itself.
 */
export async function runAdminOperation(config: Config, req: ControlRequest): Promise<any> {
  if (!config.databaseUrl) {
    const { lockHolder } = await import('../store/lock');
    const holderInfo = lockHolder(config.dataDir);
    if (holderInfo) {
      if (!holderInfo.socket) {
        throw new CountersignError('conflict', `process ${holderInfo.pid} holds ${config.dataDir} without a control channel; stop it and try again`);
      }
      return callControlPatiently(holderInfo.socket, req);
    }
  }
  // Nobody serves this data: open just what the operation needs, briefly (no publisher, no socket).
  const store = await openStore(config, 'cli');
  try {
    const repos = new Map<string, RepoHandle>();
    if (req.op === 'request') {
      const rc = config.repositories.find((r) => r.name === req.repo);
      if (rc) repos.set(rc.name, await openRepo(config.dataDir, rc));
    }
    return await handleControl(
      {
        config,
        db: store.db,
        repo(name) {
          const r = repos.get(name);
          if (!r) throw repoNotFound(name);
          return r;
        },
      },
      req,
    );
  } finally {
    await store.close();
  }
}

/** A server that has just taken the lock may not be listening yet: retry briefly. */
async function callControlPatiently(socket: string, req: ControlRequest): Promise<any> {
  for (let i = 0; ; i++) {
    try {
      return await callControl(socket, req);
    } catch (e) {
      const transient = /ENOENT|ECONNREFUSED/.test((e as Error).message);
      if (!transient || i >= 20) throw e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
