import { CountersignError, isCountersignError } from '../errors';
import type { CommitInfo } from '../git/commit';
import { OBJECT_ID_RE } from '../statement/fields';
import type { RepoHandle } from './repos';

/**
 * The commit a review or an approval is about: a full lowercase id only (what is signed must be
 * named exactly), looked up in the server's clone after a fresh-enough fetch; if the clone does
 * not have it, one more fetch (and a fetch of that id, for commits on no branch) before giving up.
 */
export async function resolveReviewCommit(repo: RepoHandle, id: string): Promise<CommitInfo> {
  const commit = typeof id === 'string' ? id.toLowerCase() : '';
  if (!OBJECT_ID_RE.test(commit)) {
    throw new CountersignError('unknown-commit', `${JSON.stringify(String(id).slice(0, 80))} is not a full commit id (40 or 64 hex digits)`);
  }
  await repo.refresh();
  try {
    return await repo.commit(commit);
  } catch (e) {
    if (!isCountersignError(e) || e.code !== 'unknown-commit') throw e;
  }
  await repo.refresh({ maxAgeMs: 0 });
  await repo.fetchCommit(commit);
  try {
    return await repo.commit(commit);
  } catch (e) {
    if (isCountersignError(e) && e.code === 'unknown-commit') {
      const why = repo.lastFetchError ? ' (and its remote could not be reached just now)' : '';
      throw new CountersignError('unknown-commit', `commit ${commit} is not in repository "${repo.config.name}"${why}; check the id, or push the commit first`);
    }
    throw e;
  }
}
