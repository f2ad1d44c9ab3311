import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * In-process mutual exclusion by key. Across processes the ref compare-and-swap keeps us safe;
 * inside one process this lock avoids pointless CAS retries and overlapping pushes.
 */
const tails = new Map<string, Promise<void>>();

export async function withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const prev = tails.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => (release = r));
  const tail = prev.then(() => mine);
  tails.set(key, tail);
  await prev;
  try {
    return await fn();
  } finally {
    release();
    if (tails.get(key) === tail) tails.delete(key);
  }
}

/** One key per repository whatever path spelling the caller used. */
export function repoKey(repoDir: string): string {
  try {
    return realpathSync(repoDir);
  } catch {
    return resolve(repoDir);
  }
}
