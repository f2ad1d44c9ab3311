import { CountersignError } from '../errors';
import { checkNotOption } from './objects';
import { indexedIsAncestor } from './reach-index';
import { runGit } from './run';

/**
 * Ancestry questions the landing rules ask. Each is one git process; callers cache answers
 * (lib/landing keeps them per run) and answer what they can from the first-parent chain they
 * already hold.
 */

/** True when `ancestor` is `descendant` or one of its ancestors (`git merge-base --is-ancestor`). */
export async function isAncestor(repoDir: string, ancestor: string, descendant: string): Promise<boolean> {
  checkNotOption(ancestor, 'commit');
  checkNotOption(descendant, 'commit');
  const known = indexedIsAncestor(repoDir, ancestor, descendant); // the server's index (./reach-index.ts)
  if (known !== null) return known;
  const r = await runGit(['merge-base', '--is-ancestor', ancestor, descendant], { cwd: repoDir, allowFailure: true });
  if (r.code === 0) return true;
  if (r.code === 1) return false;
  throw new CountersignError('git-failed', `git merge-base --is-ancestor failed: ${r.stderr.trim().split('\n')[0]}`);
}

/** The merge base of `a` and `b` (git's choice when there are several), or null for unrelated histories. */
export async function mergeBase(repoDir: string, a: string, b: string): Promise<string | null> {
  checkNotOption(a, 'commit');
  checkNotOption(b, 'commit');
  const r = await runGit(['merge-base', a, b], { cwd: repoDir, allowFailure: true });
  if (r.code === 0) return r.stdout.trim() || null;
  if (r.code === 1) return null;
  throw new CountersignError('git-failed', `git merge-base failed: ${r.stderr.trim().split('\n')[0]}`);
}

export interface ChainCommit {
  id: string;
  parents: string[];
}

/**
 * The first-parent chain from `from` (exclusive) to `to` (inclusive), oldest first, with each
 * commit's parents: `git rev-list --first-parent --parents to ^from`. The caller checks that
 * the oldest one's first parent is `from` (otherwise `from` is reached only through a second
 * parent, not the branch's own line).
 */
export async function firstParentChain(repoDir: string, from: string, to: string): Promise<ChainCommit[]> {
  checkNotOption(from, 'commit');
  checkNotOption(to, 'commit');
  const { stdout } = await runGit(['rev-list', '--first-parent', '--parents', to, `^${from}`], { cwd: repoDir });
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [id, ...parents] = l.split(' ');
      return { id, parents };
    })
    .reverse();
}

export interface ChangeCommits {
  /** Commits reachable from head and not from base, newest first (`git rev-list head ^base`). */
  commits: string[];
  /** base is a proper ancestor of head (it shows as a boundary commit of the walk). */
  baseIsAncestor: boolean;
}

/** The commits of the change base..head, and whether base really is an ancestor of head. One process. */
export async function changeCommits(repoDir: string, base: string, head: string): Promise<ChangeCommits> {
  checkNotOption(base, 'commit');
  checkNotOption(head, 'commit');
  const { stdout } = await runGit(['rev-list', '--boundary', head, `^${base}`], { cwd: repoDir });
  const commits: string[] = [];
  let baseIsAncestor = false;
  for (const line of stdout.split('\n')) {
    if (!line) continue;
    if (line.startsWith('-')) {
      if (line.slice(1) === base) baseIsAncestor = true;
    } else commits.push(line);
  }
  return { commits, baseIsAncestor };
}
