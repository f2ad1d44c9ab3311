import { CountersignError } from '../errors';
import { readObjects } from '../git/objects';
import { runGit } from '../git/run';

const HEX_RE = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** The commit a ref points at, or null when the ref does not exist. */
export async function readTip(repoDir: string, ref: string): Promise<string | null> {
  const r = await runGit(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], { cwd: repoDir, allowFailure: true });
  if (r.code === 0) return r.stdout.trim();
  if (r.code === 1 && !r.stderr.trim()) return null;
  throw new CountersignError('git-failed', `cannot read ${ref} in ${repoDir}: ${r.stderr.trim() || `exit code ${r.code}`}`);
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

/** The content of note blobs, by blob id, in one process. */
export async function readBlobs(repoDir: string, oids: Iterable<string>): Promise<Map<string, Buffer>> {
  const unique = [...new Set(oids)];
  const objects = await readObjects(repoDir, unique);
  const out = new Map<string, Buffer>();
  for (const o of objects) {
    if (!o.found || o.type !== 'blob') throw new CountersignError('git-failed', `note blob ${o.name} is missing from ${repoDir}`);
    out.set(o.name, o.content);
  }
  return out;
}
