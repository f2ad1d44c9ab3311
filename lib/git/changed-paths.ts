import { checkNotOption } from './objects';
import { runGit } from './run';

/** What to diff: a commit against its first parent, or `from` against `to` (any two tree-ish ids). */
export type DiffRequest = { commit: string } | { from: string; to: string };

/**
 * The paths each request changes, in ONE `git diff-tree --stdin` process however many requests
 * there are (recursive, no rename detection: a rename is its two paths). Raw `-z` output keeps
 * headers and entries apart without guessing: an entry starts with ":", a header does not.
 * `--always` prints a header for an empty diff too, so the output stays aligned with the input.
 */
export async function changedPathsBatch(repoDir: string, requests: DiffRequest[]): Promise<string[][]> {
  if (requests.length === 0) return [];
  const input = requests
    .map((r) => ('commit' in r ? checkNotOption(r.commit, 'commit') : `${checkNotOption(r.from, 'tree-ish')} ${checkNotOption(r.to, 'tree-ish')}`))
    .join('\n');
  const { stdout } = await runGit(['diff-tree', '--stdin', '--always', '-r', '--no-renames', '--raw', '-z'], { cwd: repoDir, input: input + '\n' });
  const tokens = stdout.split('\0');
  const out: string[][] = [];
  let current: string[] | null = null;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === '') continue;
    if (t.startsWith(':')) {
      // ":mode mode oid oid status" then the path.
      if (current) current.push(tokens[++i]);
      continue;
    }
    current = [];
    out.push(current);
  }
  return out;
}
