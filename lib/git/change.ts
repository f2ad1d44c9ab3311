import { CountersignError } from '../errors';
import { checkNotOption, readObjects } from './objects';
import { runGit } from './run';

/**
 * A change: the commits a branch head H brings on top of a base B (`git rev-list B..H`), reviewed
 * as one diff from B to H. B is always an ancestor of H here (callers pass merge-base(rev, H)).
 */

const FULL_ID_RE = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const ABBREV_RE = /^[0-9a-fA-F]{7,63}$/;

export interface ChangeCommit {
  id: string;
  title: string;
  authorName: string;
  authorEmail: string;
  /** Author date, ISO 8601 UTC. */
  date: string;
  parents: string[];
}

export { isAncestor, mergeBase } from './ancestry';

/** How many commits `base..head` holds. */
export async function countChange(repoDir: string, base: string, head: string): Promise<number> {
  const { stdout } = await runGit(['rev-list', '--count', `${base}..${head}`, '--'], { cwd: repoDir });
  return Number(stdout.trim());
}

/**
 * The commits of `base..head`, oldest first (topological, as a pull request lists them), at most
 * `max` of them (the newest `max` when there are more: callers say how many were left out).
 */
export async function listChange(repoDir: string, base: string, head: string, opts: { max?: number } = {}): Promise<ChangeCommit[]> {
  const max = opts.max ?? 250;
  const { stdout } = await runGit(
    ['log', '-z', '--topo-order', `--max-count=${max}`, '--format=%H%x1f%P%x1f%an%x1f%ae%x1f%aI%x1f%s', `${base}..${head}`, '--'],
    { cwd: repoDir },
  );
  return stdout
    .split('\0')
    .filter(Boolean)
    .map((rec) => {
      const [id, parents, authorName, authorEmail, date, title] = rec.replace(/^\n/, '').split('\x1f');
      return { id, parents: parents ? parents.split(' ') : [], authorName, authorEmail, date: new Date(date).toISOString(), title };
    })
    .reverse();
}

/** Every commit id of `base..head` (for exclusions: each author and committer of the change). */
export async function changeIds(repoDir: string, base: string, head: string): Promise<string[]> {
  const { stdout } = await runGit(['rev-list', `${base}..${head}`, '--'], { cwd: repoDir });
  return stdout.split('\n').filter(Boolean);
}

export type RevisionKind = 'id' | 'abbreviated-id' | 'branch';

/**
 * What a person may write in a review link for a commit: a full id, an abbreviated id (7+ hex
 * digits, unambiguous), or a branch name of `remote` as this clone knows it. Nothing else (no
 * `HEAD~2`, no tags, no local refs): a link must name what the remote shows everyone. An
 * abbreviation wins over a branch of the same spelling, as a link's hex string is meant as an id.
 * Unknown or ambiguous: CountersignError('unknown-commit') with a message naming the fix.
 */
export async function resolveRevision(repoDir: string, rev: string, remote: string): Promise<{ id: string; kind: RevisionKind }> {
  if (typeof rev !== 'string' || rev.length === 0 || rev.length > 250) {
    throw new CountersignError('bad-input', 'name a commit: a full or abbreviated commit id, or a branch name');
  }
  const lower = rev.toLowerCase();
  if (FULL_ID_RE.test(lower)) return { id: lower, kind: 'id' };
  if (ABBREV_RE.test(rev)) {
    const [obj] = await readObjects(repoDir, [`${lower}^{commit}`]);
    if (obj.found) return { id: obj.oid, kind: 'abbreviated-id' };
    if (obj.reason === 'ambiguous') {
      throw new CountersignError('unknown-commit', `${JSON.stringify(rev)} is ambiguous: give more hex digits or the full commit id`);
    }
  }
  checkNotOption(rev, 'branch name');
  const check = await runGit(['check-ref-format', '--branch', rev], { cwd: repoDir, allowFailure: true });
  if (check.code === 0 && rev !== 'HEAD') {
    const [obj] = await readObjects(repoDir, [`refs/remotes/${remote}/${rev}^{commit}`]);
    if (obj.found) return { id: obj.oid, kind: 'branch' };
  }
  throw new CountersignError(
    'unknown-commit',
    `${JSON.stringify(rev.slice(0, 100))} is neither a commit nor a branch of the repository: use a full or abbreviated commit id (7+ hex digits) or a branch name that has been pushed`,
  );
}
