import { CountersignError, isCountersignError } from '../errors';
import type { CommitInfo } from '../git/commit';
import { OBJECT_ID_RE } from '../statement/fields';
import type { RepoHandle } from './repos';

/** A commit not found on demand is not looked for again on the remote for this long. */
export const MISS_TTL_MS = 60_000;
/** Remembered misses per repository (the oldest are forgotten first). */
const MAX_MISSES = 10_000;

export interface ResolveOptions {
  /**
   * May the server go to the remote for a commit its clone does not have (a fetch of branches and
   * notes, then a fetch of that id, for commits on no branch)? Only for signed-in users and
   * authenticated callers: an anonymous request must not make the server fetch whatever id it
   * names. Default false: the answer comes from the clone (refreshed at most every few seconds).
   */
  fetchOnDemand?: boolean;
  /**
   * Another instance of the service has had this commit (it prepared an approval of it): look on
   * the remote even if this instance missed it less than MISS_TTL_MS ago.
   */
  seenByService?: boolean;
  /** Wait for a fetch when the clone is older than FRESH_MS, even for a commit it has (approvals). */
  fresh?: boolean;
}

/**
 * Whether the service (any instance sharing the database) has seen a commit: set per repository
 * by lib/instances. An anonymous request for such a commit may make this instance fetch it, since
 * the id is not one a stranger made up but one another instance has served.
 */
const serviceKnowledge = new WeakMap<RepoHandle, (commit: string) => Promise<boolean>>();

export function setServiceKnowledge(repo: RepoHandle, seen: (commit: string) => Promise<boolean>): void {
  serviceKnowledge.set(repo, seen);
}

interface OnDemand {
  /** One fetch per id at a time, shared by everyone asking for it. */
  inflight: Map<string, Promise<void>>;
  /** id → when a fetch on demand last failed to find it. */
  misses: Map<string, number>;
}

const onDemandState = new WeakMap<RepoHandle, OnDemand>();

function stateOf(repo: RepoHandle): OnDemand {
  let s = onDemandState.get(repo);
  if (!s) {
    s = { inflight: new Map(), misses: new Map() };
    onDemandState.set(repo, s);
  }
  return s;
}

function notFound(repo: RepoHandle, commit: string, hint: string): CountersignError {
  const why = repo.lastFetchError ? ' (and its remote could not be reached just now)' : '';
  return new CountersignError('unknown-commit', `commit ${commit} is not in repository "${repo.config.name}"${why}; ${hint}`);
}

/**
 * The commit a review or an approval is about: a full lowercase id only (what is signed must be
 * named exactly), looked up in the server's clone after a fresh-enough fetch. If the clone does
 * not have it and `fetchOnDemand` allows, one more fetch and a fetch of that id — single-flight
 * per id, and a miss is remembered for MISS_TTL_MS so that asking again costs no git process.
 */
export async function resolveReviewCommit(repo: RepoHandle, id: string, opts: ResolveOptions = {}): Promise<CommitInfo> {
  const commit = typeof id === 'string' ? id.toLowerCase() : '';
  if (!OBJECT_ID_RE.test(commit)) {
    throw new CountersignError('unknown-commit', `${JSON.stringify(String(id).slice(0, 80))} is not a full commit id (40 or 64 hex digits)`);
  }
  // A commit the clone has is served at once (stale-while-revalidate: a fetch runs behind it when
  // the clone is older than FRESH_MS); one it lacks waits for that fetch before it is a miss.
  // An approval waits for that fetch (it is judged by the trusted policy as the remote has it now).
  if (!opts.fresh) {
    const here = await lookup(repo, commit);
    if (here) {
      void repo.refresh();
      return here;
    }
  }
  await repo.refresh({ wait: true });
  const found = await lookup(repo, commit);
  if (found) return found;
  let seen = opts.seenByService === true;
  if (!opts.fetchOnDemand && !seen) {
    const known = serviceKnowledge.get(repo);
    seen = known ? await known(commit).catch(() => false) : false;
    if (!seen) throw notFound(repo, commit, 'check the id, or sign in to have the server look for it on the remote');
  }

  const s = stateOf(repo);
  const missedAt = s.misses.get(commit);
  if (!seen && missedAt !== undefined && Date.now() - missedAt < MISS_TTL_MS) {
    throw notFound(repo, commit, 'check the id, or push the commit first (looked for less than a minute ago)');
  }
  let fetching = s.inflight.get(commit);
  if (!fetching) {
    fetching = (async () => {
      await repo.refresh({ maxAgeMs: 0 });
      if (await lookup(repo, commit)) return;
      await repo.fetchCommit(commit);
    })().finally(() => s.inflight.delete(commit));
    s.inflight.set(commit, fetching);
  }
  await fetching;
  const fetched = await lookup(repo, commit);
  if (fetched) {
    s.misses.delete(commit);
    return fetched;
  }
  s.misses.delete(commit);
  s.misses.set(commit, Date.now());
  if (s.misses.size > MAX_MISSES) s.misses.delete(s.misses.keys().next().value as string);
  throw notFound(repo, commit, 'check the id, or push the commit first');
}

/** The commit from the clone, or null when the clone does not have it. */
async function lookup(repo: RepoHandle, commit: string): Promise<CommitInfo | null> {
  try {
    return await repo.commit(commit);
  } catch (e) {
    if (isCountersignError(e) && e.code === 'unknown-commit') return null;
    throw e;
  }
}
