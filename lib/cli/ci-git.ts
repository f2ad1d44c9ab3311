import { CountersignError } from '../errors';
import { runGit } from '../git/run';

/**
 * The git steps `countersign ci` takes before the gate: CI checkouts are often shallow and hold
 * only the commit under test, so the commits an event names and their history are fetched here.
 */

const FULL_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const BRANCH = /^[A-Za-z0-9][A-Za-z0-9._\/-]{0,250}$/;

/** ci writes refs/remotes/<remote>/…: a configured remote's name, not a URL. */
export function checkRemoteName(remote: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$/.test(remote) || remote.includes('..')) {
    throw new CountersignError('bad-input', `ci: --remote ${JSON.stringify(remote)} is not the name of a configured remote (such as origin)`);
  }
}

export async function isShallow(repo: string): Promise<boolean> {
  const r = await runGit(['rev-parse', '--is-shallow-repository'], { cwd: repo });
  return r.stdout.trim() === 'true';
}

/** `rev` names a commit this clone has (revisions are checked by the caller's grammar: no leading dash). */
export async function commitPresent(repo: string, rev: string): Promise<boolean> {
  const r = await runGit(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], { cwd: repo, allowFailure: true });
  return r.code === 0;
}

/**
 * The whole history of the remote's branches. The commits the event names are fetched after this
 * (fetchForGate), one request that may fail on its own: the old tip of a force-push may be gone.
 */
export async function unshallow(repo: string, remote: string): Promise<void> {
  const r = await runGit(['fetch', '--quiet', '--unshallow', '--no-tags', remote, `+refs/heads/*:refs/remotes/${remote}/*`], { cwd: repo, allowFailure: true });
  if (r.code !== 0) {
    throw new CountersignError(
      'git-failed',
      `ci: could not fetch the history of ${repo} from ${remote} (${r.stderr.trim().split('\n').slice(-2).join('; ')}): check out with fetch-depth: 0 instead (GitLab: GIT_DEPTH: 0)`,
    );
  }
}

/**
 * Fetches what is missing: `branch` (a pull request's base branch, as refs/remotes/<remote>/<branch>,
 * always refreshed) and any of `ids` (full ids) the clone lacks, by id: forges allow that for
 * reachable commits (GitHub, Forgejo, GitLab; git's protocol v2 by default), e.g. a fork's pull
 * request head, on no branch. A failure is not an error here: the caller says which commit is missing.
 */
export async function fetchForGate(repo: string, remote: string, ids: string[], branch: string | null): Promise<void> {
  const specs: string[] = [];
  if (branch && BRANCH.test(branch) && !branch.includes('..')) specs.push(`+refs/heads/${branch}:refs/remotes/${remote}/${branch}`);
  for (const id of ids) if (FULL_ID.test(id) && !(await commitPresent(repo, id))) specs.push(id);
  if (specs.length === 0) return;
  await runGit(['fetch', '--quiet', '--no-tags', remote, ...specs], { cwd: repo, allowFailure: true });
}
