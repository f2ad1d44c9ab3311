import { CountersignError } from '../errors';
import { checkNotOption } from './objects';
import { runGit } from './run';

export type MergeTreeResult =
  | { clean: true; tree: string }
  | { clean: false; reason: string };

/**
 * `git merge-tree --write-tree ours theirs`: the tree `git merge` (ort) would make, computed
 * without a work tree. git 2.39 has no --merge-base: the merge base is git's own choice, with a
 * virtual base when there are several, as in `git merge`. Never --allow-unrelated-histories:
 * two unrelated histories (or a shallow clone that lacks the base) are reported as not clean.
 */
export async function mergeTree(repoDir: string, ours: string, theirs: string): Promise<MergeTreeResult> {
  checkNotOption(ours, 'commit');
  checkNotOption(theirs, 'commit');
  const r = await runGit(['merge-tree', '--write-tree', '--no-messages', ours, theirs], { cwd: repoDir, allowFailure: true });
  const first = r.stdout.split('\n', 1)[0].trim();
  if (r.code === 0 && /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(first)) return { clean: true, tree: first };
  if (r.code === 1) {
    const files = r.stdout.split('\n').slice(1).filter(Boolean).map((l) => l.split('\t').pop() ?? l);
    const paths = [...new Set(files)];
    return { clean: false, reason: `conflicts in ${paths.slice(0, 3).join(', ')}${paths.length > 3 ? ` and ${paths.length - 3} more` : ''}` };
  }
  const message = r.stderr.trim().split('\n')[0] || `exit code ${r.code}`;
  if (/unrelated histories/i.test(message)) return { clean: false, reason: 'no merge base (unrelated histories, or a shallow clone: fetch more history)' };
  throw new CountersignError('git-failed', `git merge-tree failed in ${repoDir}: ${message}`);
}
