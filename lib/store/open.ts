import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/config';
import { CountersignError } from '../errors';
import type { Db } from './db';
import { acquireDataDirLock, type DataDirLock } from './lock';
import { migrate } from './migrations';
import { openPglite } from './pglite';
import { openPostgres } from './postgres';

export interface OpenedStore {
  db: Db;
  /** Held while an embedded database is open; null for PostgreSQL. */
  lock: DataDirLock | null;
  close(): Promise<void>;
}

/**
 * Opens the configured database and brings its schema up to date. For the embedded database
 * this takes the data-dir lock first (throws 'conflict' naming the holder if another process has it).
 */
export async function openStore(config: Pick<Config, 'dataDir' | 'databaseUrl'>, role: 'server' | 'cli', socket?: string): Promise<OpenedStore> {
  makePrivateDir(config.dataDir);
  let lock: DataDirLock | null = null;
  let db: Db;
  if (config.databaseUrl) {
    db = await openPostgres(config.databaseUrl);
  } else {
    lock = acquireDataDirLock(config.dataDir, role, socket);
    try {
      const pg = await openPglite(path.join(config.dataDir, 'db'));
      if (pg.pid) lock.update({ dbPid: pg.pid });
      db = pg;
    } catch (e) {
      lock.release();
      throw e;
    }
  }
  try {
    await migrate(db);
  } catch (e) {
    await db.close().catch(() => {});
    lock?.release();
    throw e;
  }
  return {
    db,
    lock,
    async close() {
      await db.close();
      lock?.release();
    },
  };
}

/**
 * The data directory holds the database, the server's clones and the control socket: owner-only
 * (0700), made so if it already existed with a wider mode.
 */
export function makePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    chmodSync(dir, 0o700);
  } catch (e) {
    throw new CountersignError('bad-input', `cannot make the data directory ${dir} private (chmod 0700): ${(e as Error).message}`);
  }
}
