import { upsertRequest, type ReviewRequestRow } from '../store/requests';
import type { AdminContext } from './app';
import { resolveReviewCommit } from './commits';

/**
 * A review request asks for signatures on one commit; it puts the commit in everyone's inbox.
 * The commit must exist in the repository (fetched from its remote if need be).
 */
export async function createRequest(
  ctx: AdminContext,
  req: { repo: string; commit: string; requestedBy: string },
): Promise<{ id: string; repo: string; commit: string }> {
  const repo = ctx.repo(req.repo);
  const commit = await resolveReviewCommit(repo, req.commit);
  const row: ReviewRequestRow = await upsertRequest(ctx.db, { repo: repo.config.name, commitId: commit.id, requestedBy: req.requestedBy });
  return { id: row.id, repo: row.repo, commit: row.commitId };
}

