import type { Queryable } from './db';
import { toIso } from './db';
import { newId } from './ids';

export interface ReviewRequestRow {
  id: string;
  repo: string;
  commitId: string;
  requestedBy: string;
  requestedAt: string;
}

function map(r: any): ReviewRequestRow {
  return { id: r.id, repo: r.repo, commitId: r.commit_id, requestedBy: r.requested_by, requestedAt: toIso(r.requested_at)! };
}

/** One request per commit: asking again brings it back to the top of everyone's inbox. */
export async function upsertRequest(db: Queryable, r: { repo: string; commitId: string; requestedBy: string }): Promise<ReviewRequestRow> {
  const rows = await db.query(
    `insert into review_requests(id, repo, commit_id, requested_by) values ($1, $2, $3, $4)
     on conflict (repo, commit_id) do update set requested_by = excluded.requested_by, requested_at = now()
     returning *`,
    [newId(), r.repo, r.commitId, r.requestedBy],
  );
  return map(rows[0]);
}

export async function listRequests(db: Queryable, limit = 100): Promise<ReviewRequestRow[]> {
  return (await db.query('select * from review_requests order by requested_at desc, id limit $1', [limit])).map(map);
}
