import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { Db, Queryable } from './db';

/**
 * Embedded PostgreSQL (WASM). PGlite is single-connection and takes no lock of its own: two
 * processes opening the same directory corrupt it. Callers must hold the data-dir lock
 * (lib/store/lock.ts) for as long as the database is open.
 */
export async function openPglite(dir: string | null): Promise<Db> {
  if (dir) mkdirSync(dir, { recursive: true });
  const pg = dir ? await PGlite.create(dir) : await PGlite.create();
  const q: Queryable['query'] = async (sql, params) => (await pg.query(sql, params as any[])).rows as any[];
  return {
    kind: 'pglite',
    query: q,
    async transaction(fn) {
      return pg.transaction(async (tx) => fn({ query: async (sql, params) => (await tx.query(sql, params as any[])).rows as any[] }));
    },
    async close() {
      await pg.close();
    },
  };
}
