import { readObjects } from '../git/objects';
import { runGit } from '../git/run';
import { noteLines, isOurLine } from '../notes/line';
import { readTip } from '../notes/tree';

/** A note line and the commit it annotates. */
export interface NewLine {
  commit: string;
  line: string;
}

/**
 * Where this clone remembers the notes commit it last looked at for alarms. A ref in the clone
 * itself (not the database): every instance has its own clone with its own merge commits, and
 * the ref keeps that commit reachable. What was already alarmed is shared (the database).
 */
export function seenRefFor(notesRef: string): string {
  return `refs/countersign-notify/seen/${notesRef.replace(/^refs\/notes\//, '')}`;
}

const HEX_RE = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
/** Lines handed on per scan at most: a notes ref stuffed with junk must not stall the server. */
export const MAX_LINES_PER_SCAN = 20_000;

/**
 * The note lines that appeared in `notesRef` since the last scan: a tree diff between the
 * notes commit seen last and the tip (`git diff-tree`, whatever the fanout), and for each note
 * that changed the lines in the new blob and not in the old one. Cost follows what changed,
 * not the size of the notes. The first scan of a clone only records the tip (history is not
 * news; a clone without notes records the empty tree). Afterwards the seen ref is moved to the tip.
 */
export async function scanNewLines(repoDir: string, notesRef: string): Promise<{ lines: NewLine[]; truncated: boolean }> {
  const tip = await readTip(repoDir, notesRef);
  const seenRef = seenRefFor(notesRef);
  const seenAt = await runGit(['rev-parse', '--verify', '--quiet', seenRef], { cwd: repoDir, allowFailure: true });
  const seen = seenAt.code === 0 ? seenAt.stdout.trim() : null;
  if (!tip) {
    // No notes yet: remember having looked (at the empty tree), so that the first notes to
    // arrive are news rather than a baseline.
    if (!seen) {
      const empty = await runGit(['hash-object', '-w', '-t', 'tree', '--stdin'], { cwd: repoDir, input: '' });
      await runGit(['update-ref', seenRef, empty.stdout.trim()], { cwd: repoDir });
    }
    return { lines: [], truncated: false };
  }
  if (seen === tip) return { lines: [], truncated: false };
  if (!seen) {
    await runGit(['update-ref', seenRef, tip], { cwd: repoDir });
    return { lines: [], truncated: false };
  }
  const { stdout } = await runGit(['diff-tree', '-r', '-z', '--no-renames', '--diff-filter=AM', seen, tip], { cwd: repoDir });
  const changed: { commit: string; oldBlob: string | null; newBlob: string }[] = [];
  const fields = stdout.split('\0');
  for (let i = 0; i + 1 < fields.length; i += 2) {
    // ":100644 100644 <old> <new> M" then the path
    const meta = fields[i].replace(/^:/, '').split(' ');
    const commit = fields[i + 1].replaceAll('/', '');
    if (meta.length < 5 || !HEX_RE.test(commit)) continue;
    const [, , oldBlob, newBlob, status] = meta;
    changed.push({ commit, oldBlob: status.startsWith('A') ? null : oldBlob, newBlob });
  }
  const names = changed.flatMap((c) => (c.oldBlob ? [c.oldBlob, c.newBlob] : [c.newBlob]));
  const objects = await readObjects(repoDir, names);
  const content = new Map<string, string>();
  for (const o of objects) if (o.found && o.type === 'blob') content.set(o.oid, o.content.toString('utf8'));
  const lines: NewLine[] = [];
  let truncated = false;
  for (const c of changed) {
    const before = new Set(c.oldBlob ? noteLines(content.get(c.oldBlob) ?? '') : []);
    for (const line of noteLines(content.get(c.newBlob) ?? '')) {
      if (before.has(line) || !isOurLine(line)) continue;
      if (lines.length >= MAX_LINES_PER_SCAN) {
        truncated = true;
        break;
      }
      lines.push({ commit: c.commit, line });
    }
  }
  // Moved even when truncated: the rest are not alarmed rather than re-read on every fetch.
  await runGit(['update-ref', seenRef, tip, seen], { cwd: repoDir, allowFailure: true });
  return { lines, truncated };
}
