import type { Queryable } from './db';
import { toIso } from './db';
import { newId } from './ids';

export interface ReviewRequestRow {
  id: string;
  repo: string;
  commitId: string;
  /** A change: the base (full id) it is to be reviewed against, and the branch it was named by. */
  base: string | null;
  baseName: string | null;
  requestedBy: string;
  requestedAt: string;
  /** Made for a forge's pull request (lib/forge): its number, title and link. */
  pr: PullRequestRef | null;
}

export interface PullRequestRef {
  number: number;
  title: string;
  url: string;
}

function map(r: any): ReviewRequestRow {
  return {
    id: r.id,
    repo: r.repo,
    commitId: r.commit_id,
    base: r.base ?? null,
    baseName: r.base_name ?? null,
    requestedBy: r.requested_by,
    requestedAt: toIso(r.requested_at)!,
    pr: r.pr_number === null || r.pr_number === undefined ? null : { number: Number(r.pr_number), title: r.pr_title ?? '', url: r.pr_url ?? '' },
  };
}

/**
 * One request per commit: asking again brings it back to the top of everyone's inbox, with the
 * base of the latest request (none: the single commit).
 */
export async function upsertRequest(
  db: Queryable,
  r: { repo: string; commitId: string; requestedBy: string; base?: string | null; baseName?: string | null; pr?: PullRequestRef | null },
): Promise<ReviewRequestRow> {
  // A request by hand for a pull request's head keeps the pull request it belongs to.
  const rows = await db.query(
    `insert into review_requests(id, repo, commit_id, requested_by, base, base_name, pr_number, pr_title, pr_url) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     on conflict (repo, commit_id) do update set requested_by = excluded.requested_by, requested_at = now(),
       base = excluded.base, base_name = excluded.base_name,
       pr_number = coalesce(excluded.pr_number, review_requests.pr_number),
       pr_title = coalesce(excluded.pr_title, review_requests.pr_title),
       pr_url = coalesce(excluded.pr_url, review_requests.pr_url)
     returning *`,
    [newId(), r.repo, r.commitId, r.requestedBy, r.base ?? null, r.baseName ?? null, r.pr?.number ?? null, r.pr?.title ?? null, r.pr?.url ?? null],
  );
  return map(rows[0]);
}

export async function listRequests(db: Queryable, limit = 100): Promise<ReviewRequestRow[]> {
  return (await db.query('select * from review_requests order by requested_at desc, id limit $1', [limit])).map(map);
}

/**
 * A pull request's requests leave the inbox: all of them (it was closed), or all but the one for
 * its current head (a new push replaced it). Returns how many were removed.
 */
export async function deletePullRequestRequests(db: Queryable, repo: string, number: number, keepCommit: string | null = null): Promise<number> {
  const rows = await db.query(
    `delete from review_requests where repo = $1 and pr_number = $2 and ($3::text is null or commit_id <> $3) returning id`,
    [repo, number, keepCommit],
  );
  return rows.length;
}
