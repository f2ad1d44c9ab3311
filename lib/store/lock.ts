import { closeSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { CountersignError } from '../errors';

/**
 * Exclusive lock on the data directory while the embedded database is open.
 *
 * PGlite is PostgreSQL in single-user mode and takes no lock: two processes that open one data
 * directory both succeed, both write, and the directory ends up unreadable. So whoever opens it
 * (the server, or the CLI when no server runs) first creates `<dataDir>/countersign.lock` with
 * O_EXCL, holding its pid and, for a server, the control socket the CLI can talk to instead.
 * A lock whose process is gone is taken over.
 */
export interface LockInfo {
  pid: number;
  since: string;
  role: 'server' | 'cli';
  /** Unix socket of the running server's control channel (lib/server/control.ts). */
  socket?: string;
  /** The child process that has the database files open (lib/store/pglite.ts), if any. */
  dbPid?: number;
}

export interface DataDirLock {
  path: string;
  info: LockInfo;
  /** Records more about the holder (e.g. the database child's pid). */
  update(extra: Partial<LockInfo>): void;
  release(): void;
}

const held = new Map<string, DataDirLock>();

export function lockPath(dataDir: string): string {
  return path.join(dataDir, 'countersign.lock');
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readLock(dataDir: string): LockInfo | null {
  try {
    const info = JSON.parse(readFileSync(lockPath(dataDir), 'utf8')) as LockInfo;
    return typeof info.pid === 'number' ? info : null;
  } catch {
    return null;
  }
}

/** A holder is alive while its process, or the database process it started, still runs. */
function holderAlive(info: LockInfo): boolean {
  return isAlive(info.pid) || (typeof info.dbPid === 'number' && isAlive(info.dbPid));
}

/** The live holder of the lock (another process, or this one), or null when nobody holds it. */
export function lockHolder(dataDir: string): LockInfo | null {
  const info = readLock(dataDir);
  if (!info) return null;
  if (info.pid === process.pid) return held.has(lockPath(dataDir)) ? info : null;
  return holderAlive(info) ? info : null;
}

export function acquireDataDirLock(dataDir: string, role: LockInfo['role'], socket?: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = lockPath(dataDir);
  if (held.has(file)) {
    // A second open in one process would corrupt the database just as well as another process.
    throw new CountersignError('conflict', `the data directory ${dataDir} is already open in this process`);
  }
  const info: LockInfo = { pid: process.pid, since: new Date().toISOString(), role, ...(socket ? { socket } : {}) };
  const text = JSON.stringify(info) + '\n';
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      try {
        writeSync(fd, text);
      } finally {
        closeSync(fd);
      }
      const lock: DataDirLock = {
        path: file,
        info,
        update(extra) {
          Object.assign(info, extra);
          writeFileSync(file, JSON.stringify(info) + '\n', { mode: 0o600 });
        },
        release() {
          held.delete(file);
          try {
            if (readLock(dataDir)?.pid === process.pid) unlinkSync(file);
          } catch {
            /* already gone */
          }
        },
      };
      held.set(file, lock);
      return lock;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let staleText: string;
    try {
      staleText = readFileSync(file, 'utf8');
    } catch {
      continue; // released meanwhile
    }
    let stale: LockInfo | null = null;
    try {
      stale = JSON.parse(staleText);
    } catch {
      /* a torn write from a crash: treat as stale */
    }
    if (stale && stale.pid !== process.pid && holderAlive(stale)) {
      throw new CountersignError(
        'conflict',
        `the data directory ${dataDir} is in use by process ${stale.pid} (${stale.role}, since ${stale.since}); ` +
          'the embedded database allows one process at a time — stop it, or set DATABASE_URL to use PostgreSQL',
      );
    }
    // Take over a stale lock without racing another taker: move it aside atomically, and if what
    // we moved turns out to be someone's fresh lock, put it back.
    const aside = `${file}.stale.${process.pid}`;
    try {
      renameSync(file, aside);
    } catch {
      continue;
    }
    const moved = readFileSync(aside, 'utf8');
    if (moved !== staleText) {
      try {
        linkSync(aside, file);
      } catch {
        /* someone else locked meanwhile; their lock stands */
      }
    }
    unlinkSync(aside);
  }
  throw new CountersignError('conflict', `could not lock the data directory ${dataDir}; try again`);
}

process.once('exit', () => {
  for (const lock of [...held.values()]) lock.release();
});
