import type { Queryable } from './db';

export async function insertSession(db: Queryable, tokenHash: string, userId: string, credentialId: string | null, expiresAt: Date): Promise<void> {
  await db.query('insert into sessions(token_hash, user_id, credential_id, expires_at) values ($1, $2, $3, $4)', [
    tokenHash,
    userId,
    credentialId,
    expiresAt.toISOString(),
  ]);
}

/**
 * The session's user id if the session exists, has not expired and the passkey that opened it
 * is not revoked; refreshes last_seen_at.
 */
export async function touchSession(db: Queryable, tokenHash: string): Promise<string | null> {
  const rows = await db.query<{ user_id: string }>(
    `update sessions s set last_seen_at = now()
     where s.token_hash = $1 and s.expires_at > now()
       and (s.credential_id is null or exists (select 1 from credentials c where c.id = s.credential_id and c.revoked_at is null))
     returning s.user_id`,
    [tokenHash],
  );
  return rows[0]?.user_id ?? null;
}

export async function deleteSessionsOfCredential(db: Queryable, credentialId: string): Promise<void> {
  await db.query('delete from sessions where credential_id = $1', [credentialId]);
}

export async function deleteSession(db: Queryable, tokenHash: string): Promise<void> {
  await db.query('delete from sessions where token_hash = $1', [tokenHash]);
}

export async function deleteExpiredSessions(db: Queryable): Promise<void> {
  await db.query('delete from sessions where expires_at <= now()');
}
