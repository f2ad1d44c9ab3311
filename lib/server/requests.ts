import { upsertRequest, type PullRequestRef, type ReviewRequestRow } from '../store/requests';
import type { AdminContext } from './app';
import { resolveChange, resolveReviewRevision } from './change';

export interface RequestResult {
  id: string;
  repo: string;
  commit: string;
  /** A change: its base (full id, the merge-base of the named base and the commit) and the branch named. */
  base?: string;
  baseName?: string;
}

/**
 * A review request asks for signatures on one commit, or (with `base`: a branch name, a full or
 * abbreviated id) on the change from base to that commit; it puts it in everyone's inbox. The
 * commit must exist in the repository (fetched from its remote if need be). The base is pinned
 * now, as the merge-base of the two: reviewers are all shown the same change.
 */
export async function createRequest(
  ctx: AdminContext,
  req: { repo: string; commit: string; requestedBy: string; base?: string | null; pr?: PullRequestRef | null },
): Promise<RequestResult> {
  const repo = ctx.repo(req.repo);
  let row: ReviewRequestRow;
  if (req.base !== undefined && req.base !== null && req.base !== '') {
    const change = await resolveChange(repo, req.commit, req.base, { fetchOnDemand: true });
    row = await upsertRequest(ctx.db, {
      repo: repo.config.name,
      commitId: change.head.id,
      requestedBy: req.requestedBy,
      base: change.base,
      baseName: change.baseName,
      pr: req.pr ?? null,
    });
  } else {
    // Requesters are authenticated (a user, a bot token, the CLI): the commit may be fetched for them.
    const { commit } = await resolveReviewRevision(repo, req.commit, { fetchOnDemand: true });
    row = await upsertRequest(ctx.db, { repo: repo.config.name, commitId: commit.id, requestedBy: req.requestedBy, pr: req.pr ?? null });
  }
  ctx.events?.emit('request-upserted', { repo: row.repo, requestId: row.id, commit: row.commitId, base: row.base, requestedBy: row.requestedBy });
  return {
    id: row.id,
    repo: row.repo,
    commit: row.commitId,
    ...(row.base ? { base: row.base } : {}),
    ...(row.baseName ? { baseName: row.baseName } : {}),
  };
}
