import type { Queryable } from './db';

export async function insertSession(db: Queryable, tokenHash: string, userId: string, expiresAt: Date): Promise<void> {
  await db.query('insert into sessions(token_hash, user_id, expires_at) values ($1, $2, $3)', [tokenHash, userId, expiresAt.toISOString()]);
}

/** The session's user id if the session exists and has not expired; refreshes last_seen_at. */
export async function touchSession(db: Queryable, tokenHash: string): Promise<string | null> {
  const rows = await db.query<{ user_id: string }>(
    'update sessions set last_seen_at = now() where token_hash = $1 and expires_at > now() returning user_id',
    [tokenHash],
  );
  return rows[0]?.user_id ?? null;
}

export async function deleteSession(db: Queryable, tokenHash: string): Promise<void> {
  await db.query('delete from sessions where token_hash = $1', [tokenHash]);
}

export async function deleteExpiredSessions(db: Queryable): Promise<void> {
  await db.query('delete from sessions where expires_at <= now()');
}
