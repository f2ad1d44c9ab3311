import pg from 'pg';
import type { Db } from './db';

/** A real PostgreSQL server: many app processes may share it. */
export async function openPostgres(url: string): Promise<Db> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // An idle connection dropped by the server (restart, failover) must not crash the process:
  // the pool discards it and the next query opens a new one.
  pool.on('error', (e) => console.error(`countersign: database connection lost: ${e.message}`));
  // Fail at start, with the server's own message, rather than on the first request.
  await pool.query('select 1');
  return {
    kind: 'postgres',
    async query(sql, params) {
      return (await pool.query(sql, params as any[])).rows as any[];
    },
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('begin');
        const out = await fn({ query: async (sql, params) => (await client.query(sql, params as any[])).rows as any[] });
        await client.query('commit');
        return out;
      } catch (e) {
        await client.query('rollback').catch(() => {});
        throw e;
      } finally {
        client.release();
      }
    },
    async close() {
      await pool.end();
    },
  };
}
