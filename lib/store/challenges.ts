import type { Queryable } from './db';
import { toIso } from './db';
import { newId } from './ids';

export type ChallengeKind = 'registration' | 'login' | 'approval';

/** WebAuthn challenges live five minutes and are used once. */
export const CHALLENGE_TTL_MS = 5 * 60 * 1000;

export interface ChallengeRow {
  id: string;
  kind: ChallengeKind;
  challenge: string; // base64url
  userId: string | null;
  inviteHash: string | null;
  webauthnUserId: string | null;
  repo: string | null;
  commitId: string | null;
  /** approval of a change: the base it is bound to (null: a single commit). */
  base: string | null;
  statement: string | null;
  verdict: string | null;
  createdAt: string;
  expiresAt: string;
  usedAt: string | null;
}

function map(r: any): ChallengeRow {
  return {
    id: r.id,
    kind: r.kind,
    challenge: r.challenge,
    userId: r.user_id ?? null,
    inviteHash: r.invite_hash ?? null,
    webauthnUserId: r.webauthn_user_id ?? null,
    repo: r.repo ?? null,
    commitId: r.commit_id ?? null,
    base: r.base ?? null,
    statement: r.statement ?? null,
    verdict: r.verdict ?? null,
    createdAt: toIso(r.created_at)!,
    expiresAt: toIso(r.expires_at)!,
    usedAt: toIso(r.used_at),
  };
}

export async function insertChallenge(
  db: Queryable,
  c: Partial<Omit<ChallengeRow, 'id' | 'createdAt' | 'expiresAt' | 'usedAt'>> & { kind: ChallengeKind; challenge: string },
  ttlMs = CHALLENGE_TTL_MS,
): Promise<ChallengeRow> {
  const rows = await db.query(
    `insert into challenges(id, kind, challenge, user_id, invite_hash, webauthn_user_id, repo, commit_id, statement, verdict, expires_at, base)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now() + ($11 || ' milliseconds')::interval, $12) returning *`,
    [
      newId(),
      c.kind,
      c.challenge,
      c.userId ?? null,
      c.inviteHash ?? null,
      c.webauthnUserId ?? null,
      c.repo ?? null,
      c.commitId ?? null,
      c.statement ?? null,
      c.verdict ?? null,
      String(ttlMs),
      c.base ?? null,
    ],
  );
  return map(rows[0]);
}

/**
 * Takes a challenge for use: succeeds once, only before expiry, only for the kind asked, and (with
 * `userId`) only for the user it was issued to — someone else presenting it leaves it usable.
 * Looked up by id (approval) or by the challenge value itself (registration/login, where the
 * browser echoes it in clientDataJSON).
 */
export async function consumeChallenge(
  db: Queryable,
  kind: ChallengeKind,
  by: { id: string } | { challenge: string },
  opts: { userId?: string } = {},
): Promise<ChallengeRow | null> {
  const [col, val] = 'id' in by ? ['id', by.id] : ['challenge', by.challenge];
  const params: unknown[] = [val, kind];
  let owner = '';
  if (opts.userId !== undefined) {
    params.push(opts.userId);
    owner = ' and user_id = $3';
  }
  const rows = await db.query(
    `update challenges set used_at = now()
     where ${col} = $1 and kind = $2${owner} and used_at is null and expires_at > now() returning *`,
    params,
  );
  return rows[0] ? map(rows[0]) : null;
}

/** A challenge by id without using it (to say why it could not be used). */
export async function findChallenge(db: Queryable, id: string): Promise<ChallengeRow | null> {
  const rows = await db.query('select * from challenges where id = $1', [id]);
  return rows[0] ? map(rows[0]) : null;
}

export async function deleteOldChallenges(db: Queryable): Promise<void> {
  await db.query(`delete from challenges where expires_at < now() - interval '1 day'`);
}
