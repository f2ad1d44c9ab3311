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
  };
}

/**
 * One request per commit: asking again brings it back to the top of everyone's inbox, with the
 * base of the latest request (none: the single commit).
 */
export async function upsertRequest(
  db: Queryable,
  r: { repo: string; commitId: string; requestedBy: string; base?: string | null; baseName?: string | null },
): Promise<ReviewRequestRow> {
  const rows = await db.query(
    `insert into review_requests(id, repo, commit_id, requested_by, base, base_name) values ($1, $2, $3, $4, $5, $6)
     on conflict (repo, commit_id) do update set requested_by = excluded.requested_by, requested_at = now(),
       base = excluded.base, base_name = excluded.base_name
     returning *`,
    [newId(), r.repo, r.commitId, r.requestedBy, r.base ?? null, r.baseName ?? null],
  );
  return map(rows[0]);
}

export async function listRequests(db: Queryable, limit = 100): Promise<ReviewRequestRow[]> {
  return (await db.query('select * from review_requests order by requested_at desc, id limit $1', [limit])).map(map);
}
