import type { Queryable } from '../store/db';
import { toIso } from '../store/db';

/** The forge's tables (migration 6): deliveries seen, pull requests and their heads. */

/** Remembers a delivery; false when it was seen before (a redelivery: nothing more to do). */
export async function rememberDelivery(db: Queryable, d: { id: string; repo: string; event: string }): Promise<boolean> {
  const rows = await db.query(
    'insert into forge_deliveries(delivery_id, repo, event) values ($1, $2, $3) on conflict (delivery_id) do nothing returning delivery_id',
    [d.id, d.repo, d.event],
  );
  return rows.length === 1;
}

/** A delivery whose handling failed is forgotten, so that the forge's redelivery is acted on. */
export async function forgetDelivery(db: Queryable, id: string): Promise<void> {
  await db.query('delete from forge_deliveries where delivery_id = $1', [id]);
}

export interface PullRequestRow {
  repo: string;
  number: number;
  head: string;
  /** The change's pinned base (merge-base of the base branch and the head); null if there is no change to review. */
  base: string | null;
  baseRef: string;
  title: string;
  url: string;
  draft: boolean;
  open: boolean;
  updatedAt: string;
}

function map(r: any): PullRequestRow {
  return {
    repo: r.repo,
    number: Number(r.number),
    head: r.head,
    base: r.base ?? null,
    baseRef: r.base_ref,
    title: r.title,
    url: r.url,
    draft: !!r.draft,
    open: !!r.open,
    updatedAt: toIso(r.updated_at)!,
  };
}

export async function savePullRequest(db: Queryable, pr: Omit<PullRequestRow, 'updatedAt'>): Promise<void> {
  await db.query(
    `insert into forge_pull_requests(repo, number, head, base, base_ref, title, url, draft, open) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     on conflict (repo, number) do update set head = excluded.head, base = excluded.base, base_ref = excluded.base_ref,
       title = excluded.title, url = excluded.url, draft = excluded.draft, open = excluded.open, updated_at = now()`,
    [pr.repo, pr.number, pr.head, pr.base, pr.baseRef, pr.title, pr.url, pr.draft, pr.open],
  );
  await db.query(
    `insert into forge_pull_request_heads(repo, number, head, base) values ($1, $2, $3, $4)
     on conflict (repo, number, head) do update set base = excluded.base`,
    [pr.repo, pr.number, pr.head, pr.base],
  );
}

export async function getPullRequest(db: Queryable, repo: string, number: number): Promise<PullRequestRow | null> {
  const rows = await db.query('select * from forge_pull_requests where repo = $1 and number = $2', [repo, number]);
  return rows.length ? map(rows[0]) : null;
}

export async function setPullRequestState(db: Queryable, repo: string, number: number, s: { open?: boolean; draft?: boolean }): Promise<void> {
  await db.query(
    `update forge_pull_requests set open = coalesce($3, open), draft = coalesce($4, draft), updated_at = now() where repo = $1 and number = $2`,
    [repo, number, s.open ?? null, s.draft ?? null],
  );
}

/** Open pull requests of a repository (with `head`: those whose head it is). */
export async function openPullRequests(db: Queryable, repo: string, head?: string): Promise<PullRequestRow[]> {
  const rows = head
    ? await db.query('select * from forge_pull_requests where repo = $1 and open and head = $2 order by number', [repo, head])
    : await db.query('select * from forge_pull_requests where repo = $1 and open order by number', [repo]);
  return rows.map(map);
}

/** The heads a pull request had before its current one, newest first. */
export async function earlierHeads(db: Queryable, repo: string, number: number, current: string): Promise<{ head: string; base: string | null; seenAt: string }[]> {
  const rows = await db.query(
    'select head, base, seen_at from forge_pull_request_heads where repo = $1 and number = $2 and head <> $3 order by seen_at desc, head',
    [repo, number, current],
  );
  return rows.map((r: any) => ({ head: r.head, base: r.base ?? null, seenAt: toIso(r.seen_at)! }));
}
