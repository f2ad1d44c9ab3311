import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CountersignError } from '../errors';
import type { Db, Queryable, Row } from './db';

/**
 * Embedded PostgreSQL (PGlite, WASM). PGlite is single-connection and takes no lock of its own:
 * two processes that open one directory corrupt it, so callers hold the data-dir lock
 * (lib/store/lock.ts) while it is open.
 *
 * It runs in a child process of its own. Loaded in-process, PGlite's WASM heap makes the server
 * ~800 MB resident, and every fork() of git (a dozen per approval) then copies that many page
 * tables while blocking the event loop: measured 8 ms per git call instead of 3. The child talks
 * over Node's IPC channel (structured clone: bytea stays Uint8Array, timestamps Date) and exits
 * with its parent. `inProcess` keeps the simple in-process mode (tests of the store itself).
 */
export async function openPglite(dir: string | null, opts: { inProcess?: boolean } = {}): Promise<Db & { pid: number | null }> {
  if (dir) mkdirSync(dir, { recursive: true });
  if (opts.inProcess || !dir) return openInProcess(dir);
  return openInChild(dir);
}

async function openInProcess(dir: string | null): Promise<Db & { pid: null }> {
  const { PGlite } = await import('@electric-sql/pglite');
  const pg = dir ? await PGlite.create(dir) : await PGlite.create();
  const q: Queryable['query'] = async (sql, params) => (await pg.query(sql, params as any[])).rows as any[];
  return {
    kind: 'pglite',
    pid: null,
    query: q,
    async transaction(fn) {
      return pg.transaction(async (tx) => fn({ query: async (sql, params) => (await tx.query(sql, params as any[])).rows as any[] }));
    },
    async close() {
      await pg.close();
    },
  };
}

/** The child: load PGlite from the given URL, open the directory, answer {id, sql, params} messages in order. */
const HOST = `
const { PGlite } = await import(process.env.CS_PGLITE_URL);
let db;
try {
  db = await PGlite.create(process.env.CS_PGLITE_DIR);
} catch (e) {
  process.send({ ready: false, error: String(e && e.message || e) });
  process.exit(1);
}
let closing = false;
const close = async () => { if (closing) return; closing = true; try { await db.close(); } catch {} process.exit(0); };
process.on('disconnect', close);
process.on('SIGTERM', close);
process.on('SIGINT', () => {});
process.on('message', async (m) => {
  if (m.op === 'close') { await close(); return; }
  try {
    const r = await db.query(m.sql, m.params);
    process.send({ id: m.id, rows: r.rows });
  } catch (e) {
    process.send({ id: m.id, error: { message: String(e && e.message || e), code: e && e.code } });
  }
});
process.send({ ready: true });
`;

function pgliteUrl(): string {
  // Found from this module (the CLI, tests) or from the working directory (the Next.js server,
  // whose bundled chunks live under .next/): walk up to a node_modules that has PGlite.
  const starts = [process.cwd()];
  try {
    starts.unshift(path.dirname(fileURLToPath(import.meta.url)));
  } catch {
    /* not a file URL when bundled */
  }
  for (const start of starts) {
    try {
      const cjs = createRequire(path.join(start, 'noop.js')).resolve('@electric-sql/pglite');
      const esm = path.join(path.dirname(cjs), 'index.js');
      if (existsSync(esm)) return pathToFileURL(esm).href;
    } catch {
      /* try the next start */
    }
  }
  throw new CountersignError('tool-failed', 'cannot find @electric-sql/pglite: run npm install in the project directory');
}

interface Pending {
  resolve: (rows: Row[]) => void;
  reject: (e: Error) => void;
}

async function openInChild(dir: string): Promise<Db & { pid: number }> {
  const child: ChildProcess = spawn(process.execPath, ['--input-type=module', '-e', HOST], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
    env: { ...process.env, CS_PGLITE_URL: pgliteUrl(), CS_PGLITE_DIR: dir, NODE_OPTIONS: '' },
  });
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let dead: string | null = null;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  await new Promise<void>((resolve, reject) => {
    const onMessage = (m: any) => {
      if (!m || !('ready' in m)) return;
      child.off('message', onMessage);
      if (m.ready) resolve();
      else reject(new CountersignError('tool-failed', `the embedded database in ${dir} could not be opened: ${m.error}`));
    };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new CountersignError('tool-failed', `the embedded database process exited during start (code ${code})`)));
    child.once('error', reject);
  });

  child.on('message', (m: any) => {
    const p = m && pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.error) p.reject(Object.assign(new Error(m.error.message), { code: m.error.code }));
    else p.resolve(m.rows);
  });
  child.on('exit', (code, signal) => {
    dead = `the embedded database process exited (${signal ?? `code ${code}`}); restart the server`;
    for (const p of pending.values()) p.reject(new CountersignError('tool-failed', dead));
    pending.clear();
  });

  const send: Queryable['query'] = (sql, params) =>
    new Promise((resolve, reject) => {
      if (dead) return reject(new CountersignError('tool-failed', dead));
      const id = nextId++;
      pending.set(id, { resolve: resolve as any, reject });
      child.send({ id, sql, params: params ?? [] });
    });

  // One connection: a transaction must not interleave with other statements, so statements
  // queue behind an open transaction (and transactions behind each other).
  let chain: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(f: () => Promise<T>): Promise<T> => {
    const run = chain.then(f, f);
    chain = run.catch(() => {});
    return run;
  };

  return {
    kind: 'pglite',
    pid: child.pid!,
    query: (sql, params) => exclusive(() => send(sql, params)) as any,
    transaction: (fn) =>
      exclusive(async () => {
        await send('begin');
        try {
          const out = await fn({ query: send });
          await send('commit');
          return out;
        } catch (e) {
          await send('rollback').catch(() => {});
          throw e;
        }
      }),
    async close() {
      if (!dead) child.send({ op: 'close' });
      await exited;
    },
  };
}
