import { CountersignError } from '../errors';
import { readObjects } from '../git/objects';
import { runGit } from '../git/run';

const HEX_RE = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * The commit a ref points at, or null when the ref does not exist (or names no commit). Read
 * through the repository's long-running cat-file: no process of its own.
 */
export async function readTip(repoDir: string, ref: string): Promise<string | null> {
  const [tip] = await readObjects(repoDir, [`${ref}^{commit}`]);
  if (tip.found && tip.type === 'commit') return tip.oid;
  if (!tip.found && tip.reason === 'missing') return null;
  throw new CountersignError('git-failed', `cannot read ${ref} in ${repoDir}: ${tip.found ? `it names a ${tip.type}` : 'the name is ambiguous'}`);
}

/**
 * Annotated commit → note blob for a notes commit. Reads the whole tree recursively so any
 * fanout (`ab/cdef…`, `ab/cd/ef…`, or none) is handled as `git notes` does: the path without
 * slashes is the commit id. Entries that are not notes are ignored.
 */
export async function listNotes(repoDir: string, tip: string | null): Promise<Map<string, string>> {
  const notes = new Map<string, string>();
  if (!tip) return notes;
  const { stdout } = await runGit(['ls-tree', '-r', '-z', '--full-tree', tip], { cwd: repoDir });
  for (const rec of stdout.split('\0')) {
    if (!rec) continue;
    const tab = rec.indexOf('\t');
    const [, type, oid] = rec.slice(0, tab).split(' ');
    const commit = rec.slice(tab + 1).replaceAll('/', '');
    if (type === 'blob' && HEX_RE.test(commit)) notes.set(commit, oid);
  }
  return notes;
}

/** Where git may keep the note for `commit`: flat, or under 1–3 levels of two-hex-digit fanout. */
export function notePathCandidates(commit: string): string[] {
  return [0, 1, 2, 3].map((levels) => {
    const dirs = Array.from({ length: levels }, (_, i) => commit.slice(2 * i, 2 * i + 2));
    return [...dirs, commit.slice(2 * levels)].join('/');
  });
}

export interface StoredNote {
  /** All note blobs found for the commit, concatenated (as `git notes show` does), LF-separated. */
  content: Buffer;
  /** Where they sit in the tree; a writer replacing the note must remove every one of them. */
  paths: string[];
}

/**
 * The notes for `commits` in the notes commit `tip`, in one `cat-file --batch` that probes each
 * possible fanout path — the cost depends on the commits asked for, not on how many notes the
 * ref holds. Different writers (git notes, fast-import) choose different fanouts for the same
 * number of notes, so a note may sit at any depth, and in a damaged tree at several.
 * Commits without a note are absent from the map.
 */
export async function readNotesFor(repoDir: string, tip: string | null, commits: string[]): Promise<Map<string, StoredNote>> {
  const out = new Map<string, StoredNote>();
  const unique = [...new Set(commits)];
  if (!tip || unique.length === 0) return out;
  const perCommit = notePathCandidates(unique[0]).length;
  const names = unique.flatMap((c) => notePathCandidates(c).map((p) => `${tip}:${p}`));
  const objects = await readObjects(repoDir, names);
  unique.forEach((commit, i) => {
    const found = objects
      .slice(i * perCommit, (i + 1) * perCommit)
      .map((o, j) => ({ o, path: notePathCandidates(commit)[j] }))
      .filter(({ o }) => o.found && o.type === 'blob');
    if (found.length === 0) return;
    const parts = found.map(({ o }) => (o.found ? o.content : Buffer.alloc(0)));
    out.set(commit, { content: Buffer.concat(parts.flatMap((p, k) => (k ? [Buffer.from('\n'), p] : [p]))), paths: found.map((f) => f.path) });
  });
  return out;
}
