import type { Db } from './db';

export interface WindowCheck {
  key: string;
  limit: number;
  windowMs: number;
}

/**
 * Fixed-window counters shared by every instance on one PostgreSQL: the same rule as the in-memory
 * limiter (lib/auth/rate-limit.ts) — checked in order, the first window at its limit refuses, and
 * a refused request counts in none of them — decided in one transaction with the rows locked, by
 * the database's clock, so N instances allow what one would. Returns null (let through, counted)
 * or the milliseconds until the refusing window ends.
 */
export async function takeSharedWindows(db: Db, checks: WindowCheck[]): Promise<number | null> {
  // Rows are created and locked in key order: two requests never wait on each other crosswise.
  const keys = [...new Set(checks.map((c) => c.key))].sort();
  return db.transaction(async (tx) => {
    await tx.query(`insert into rate_limits(key, window_start, count) select k, now(), 0 from unnest($1::text[]) as k order by k on conflict do nothing`, [keys]);
    const rows = await tx.query<{ key: string; count: number; age_ms: number }>(
      `select key, count, (extract(epoch from (now() - window_start)) * 1000)::float8 as age_ms from rate_limits where key = any($1::text[]) order by key for update`,
      [keys],
    );
    const byKey = new Map(rows.map((r) => [r.key, { count: Number(r.count), ageMs: Number(r.age_ms) }]));
    for (const c of checks) {
      const w = byKey.get(c.key)!;
      const current = w.ageMs < c.windowMs ? w.count : 0;
      if (current >= c.limit) return Math.max(1, c.windowMs - w.ageMs);
    }
    for (const c of checks) {
      await tx.query(
        `update rate_limits set
           count = case when window_start <= now() - ($2 || ' milliseconds')::interval then 1 else count + 1 end,
           window_start = case when window_start <= now() - ($2 || ' milliseconds')::interval then now() else window_start end
         where key = $1`,
        [c.key, String(c.windowMs)],
      );
    }
    return null;
  });
}

/** Forgets windows that ended long ago (the table only needs the current ones). */
export async function deleteOldWindows(db: Db, olderThanMs: number): Promise<void> {
  await db.query(`delete from rate_limits where window_start < now() - ($1 || ' milliseconds')::interval`, [String(olderThanMs)]);
}
