import type { Queryable } from './db';
import { toIso } from './db';

export async function insertSession(db: Queryable, tokenHash: string, userId: string, credentialId: string | null, expiresAt: Date): Promise<void> {
  // Opened by a passkey ceremony (sign-in or enrollment): verified now.
  await db.query('insert into sessions(token_hash, user_id, credential_id, expires_at, verified_at) values ($1, $2, $3, $4, now())', [
    tokenHash,
    userId,
    credentialId,
    expiresAt.toISOString(),
  ]);
}

/**
 * The session's user id if the session exists, has not expired and the passkey that opened it
 * is not revoked; refreshes last_seen_at and slides expires_at to `idleMs` from now, never past
 * `maxMs` after the session was opened.
 */
export async function touchSession(db: Queryable, tokenHash: string, idleMs: number, maxMs: number): Promise<string | null> {
  const rows = await db.query<{ user_id: string }>(
    `update sessions s set last_seen_at = now(),
       expires_at = least(now() + $2::double precision * interval '1 millisecond', s.created_at + $3::double precision * interval '1 millisecond')
     where s.token_hash = $1 and s.expires_at > now()
       and (s.credential_id is null or exists (select 1 from credentials c where c.id = s.credential_id and c.revoked_at is null))
     returning s.user_id`,
    [tokenHash, idleMs, maxMs],
  );
  return rows[0]?.user_id ?? null;
}

/** When a passkey was last checked for this live session (null: never, or no such session). */
export async function sessionVerifiedAt(db: Queryable, tokenHash: string): Promise<string | null> {
  const rows = await db.query<{ verified_at: unknown }>('select verified_at from sessions where token_hash = $1 and expires_at > now()', [tokenHash]);
  return rows[0]?.verified_at ? toIso(rows[0].verified_at) : null;
}

/** A passkey of the session's user was just checked (step-up). */
export async function markSessionVerified(db: Queryable, tokenHash: string, userId: string): Promise<boolean> {
  const rows = await db.query('update sessions set verified_at = now() where token_hash = $1 and user_id = $2 and expires_at > now() returning token_hash', [tokenHash, userId]);
  return rows.length > 0;
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
