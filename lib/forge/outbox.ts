import type { Queryable } from '../store/db';
import { toIso, toNum } from '../store/db';

/**
 * The commit status outbox (migration 6): for each head, the status wanted and the version the
 * forge last accepted. Durable: a status waits here while the forge is down, across restarts, and
 * only the latest wanted state is sent, once.
 */

export type StatusState = 'pending' | 'success' | 'failure' | 'error';

export interface WantedStatus {
  repo: string;
  sha: string;
  state: StatusState;
  description: string;
  targetUrl: string;
}

export interface OutboxRow extends WantedStatus {
  version: number;
  postedVersion: number;
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
}

function map(r: any): OutboxRow {
  return {
    repo: r.repo,
    sha: r.sha,
    state: r.state,
    description: r.description,
    targetUrl: r.target_url,
    version: toNum(r.version),
    postedVersion: toNum(r.posted_version),
    attempts: toNum(r.attempts),
    nextAttemptAt: toIso(r.next_attempt_at)!,
    lastError: r.last_error ?? null,
  };
}

/**
 * Records the status a head should have. Returns true when that is news (a new head, or another
 * state, text or link): the version goes up and it is due at once. The same status again changes
 * nothing, so recomputing after every fetch posts nothing new.
 */
export async function wantStatus(db: Queryable, s: WantedStatus): Promise<boolean> {
  const rows = await db.query(
    `insert into forge_statuses(repo, sha, state, description, target_url) values ($1, $2, $3, $4, $5)
     on conflict (repo, sha) do update set state = excluded.state, description = excluded.description,
       target_url = excluded.target_url, version = forge_statuses.version + 1, attempts = 0,
       next_attempt_at = now(), last_error = null, updated_at = now()
     where (forge_statuses.state, forge_statuses.description, forge_statuses.target_url)
       is distinct from (excluded.state, excluded.description, excluded.target_url)
     returning version`,
    [s.repo, s.sha, s.state, s.description, s.targetUrl],
  );
  return rows.length === 1;
}

/**
 * Claims up to `limit` due statuses for `leaseMs`: while this sender posts them, no other sender
 * (another instance) takes them; if it dies, they are due again when the lease ends.
 */
export async function claimDue(db: Queryable, leaseMs: number, limit = 20): Promise<OutboxRow[]> {
  const rows = await db.query(
    `update forge_statuses set next_attempt_at = now() + ($1::integer * interval '1 millisecond')
     where (repo, sha) in (
       select repo, sha from forge_statuses where version > posted_version and next_attempt_at <= now()
       order by next_attempt_at limit $2 for update skip locked)
     returning *`,
    [leaseMs, limit],
  );
  return rows.map(map);
}

/** The forge accepted `version`: it is posted (a newer version wanted meanwhile stays due). */
export async function markPosted(db: Queryable, repo: string, sha: string, version: number): Promise<void> {
  await db.query(
    `update forge_statuses set posted_version = greatest(posted_version, $3), attempts = 0, last_error = null,
       next_attempt_at = case when version > greatest(posted_version, $3) then now() else next_attempt_at end
     where repo = $1 and sha = $2`,
    [repo, sha, version],
  );
}

/** A failed attempt: due again after `delayMs` (unless a newer state was wanted meanwhile: that goes at once). */
export async function markFailed(db: Queryable, repo: string, sha: string, version: number, delayMs: number, error: string): Promise<void> {
  await db.query(
    `update forge_statuses set attempts = attempts + 1, last_error = $4,
       next_attempt_at = case when version > $3 then now() else now() + ($5::integer * interval '1 millisecond') end
     where repo = $1 and sha = $2`,
    [repo, sha, version, error.slice(0, 500), Math.round(delayMs)],
  );
}

export async function getStatus(db: Queryable, repo: string, sha: string): Promise<OutboxRow | null> {
  const rows = await db.query('select * from forge_statuses where repo = $1 and sha = $2', [repo, sha]);
  return rows.length ? map(rows[0]) : null;
}

/** When the next status is due (null: none waits). */
export async function nextDue(db: Queryable): Promise<Date | null> {
  const rows = await db.query<{ t: unknown }>('select min(next_attempt_at) as t from forge_statuses where version > posted_version');
  const t = rows[0]?.t;
  return t === null || t === undefined ? null : new Date(toIso(t)!);
}
