import { changedPathsBatch } from '../git/changed-paths';
import { parseCommitObject, type CommitInfo } from '../git/commit';
import { readObjects } from '../git/objects';
import { lineBase, noteLines, parseNoteLine } from '../notes/line';
import { listNotes, readTip } from '../notes/tree';
import { APPROVE } from '../gate/evaluate';
import type { LandingContext } from './context';

/** One approved change as the notes record it: head H, a base B some approval names, the paths B..H changes. */
export interface ApprovedChange {
  head: CommitInfo;
  base: string;
  paths: Set<string>;
}

/** A squash or rebase commit whose diff touches this many candidate changes' paths is checked against at most this many (newest first). */
export const MAX_CANDIDATES = 16;

/** The identity a forge's rebase keeps: author (name, e-mail, date) and message. */
function identityKey(c: CommitInfo): string {
  return [c.author.name, c.author.email, c.author.timestamp, c.author.tz, c.message].join('\0');
}

/**
 * Where to look for the approved change H behind a squash or rebase commit S, which does not
 * have H in its history: every commit with an `approve` line in the notes, keyed by the paths
 * its change changes (a squash of it changes a subset of them on P) and by its author and
 * message (a rebase keeps both). A candidate found here proves nothing: the gate checks it with
 * the full rule (merge-tree, base, signatures). Built once per run with a constant number of git
 * processes (ls-tree of the notes commit, one diff-tree --stdin) plus reads through the
 * long-running cat-file; it never walks history.
 */
export class CandidateIndex {
  private readonly byPath = new Map<string, ApprovedChange[]>();
  private readonly byIdentity = new Map<string, CommitInfo[]>();
  readonly size: number;

  private constructor(changes: ApprovedChange[]) {
    this.size = changes.length;
    for (const ch of changes) {
      for (const p of ch.paths) {
        const list = this.byPath.get(p) ?? [];
        list.push(ch);
        this.byPath.set(p, list);
      }
      const key = identityKey(ch.head);
      const heads = this.byIdentity.get(key) ?? [];
      if (!heads.some((h) => h.id === ch.head.id)) heads.push(ch.head);
      this.byIdentity.set(key, heads);
    }
  }

  static async build(ctx: LandingContext): Promise<CandidateIndex> {
    const notes = await listNotes(ctx.repoDir, await readTip(ctx.repoDir, ctx.notesRef));
    if (notes.size === 0) return new CandidateIndex([]);
    const annotated = [...notes.keys()];
    // Several blobs for one commit only happen in a damaged tree; listNotes keeps one, which can only lose approvals (safe).
    const [blobs, commits] = await Promise.all([readObjects(ctx.repoDir, annotated.map((c) => notes.get(c)!)), readObjects(ctx.repoDir, annotated)]);
    const pairs: Array<{ head: CommitInfo; base: string }> = [];
    annotated.forEach((id, i) => {
      const blob = blobs[i];
      const obj = commits[i];
      if (!blob.found || !obj.found || obj.type !== 'commit') return; // a note on a commit this clone has not fetched
      const lines = noteLines(blob.content.toString('utf8'));
      const head = parseCommitObject(obj.oid, obj.content.toString('utf8'));
      ctx.seed(head, lines);
      const bases = new Set<string>();
      for (const l of lines) {
        try {
          const parsed = parseNoteLine(l);
          const base = lineBase(parsed, head.parents[0] ?? null);
          if (parsed.verdict === APPROVE && base) bases.add(base);
        } catch {
          // unreadable lines never count
        }
      }
      for (const base of bases) pairs.push({ head, base });
    });
    const present = await readObjects(ctx.repoDir, [...new Set(pairs.map((p) => p.base))]);
    const known = new Set(present.filter((o) => o.found && o.type === 'commit').map((o) => o.name));
    const usable = pairs.filter((p) => known.has(p.base));
    const paths = await changedPathsBatch(ctx.repoDir, usable.map((p) => ({ from: p.base, to: p.head.id })));
    return new CandidateIndex(usable.map((p, i) => ({ ...p, paths: new Set(paths[i] ?? []) })));
  }

  /**
   * Heads of approved changes whose change B..H touches exactly `paths` (the diff of a squash
   * commit against P), newest first; at most MAX_CANDIDATES. Exact, not a superset: one commit
   * of a rebased run touches part of its change's paths and is found by the run's tip instead; a
   * squash whose diff differs (main already had part of the change) is refused, which is safe.
   */
  forPaths(paths: string[]): CommitInfo[] {
    if (paths.length === 0) return [];
    let rarest: ApprovedChange[] | undefined;
    for (const p of paths) {
      const list = this.byPath.get(p);
      if (!list) return [];
      if (!rarest || list.length < rarest.length) rarest = list;
    }
    const matching = rarest!.filter((ch) => ch.paths.size === paths.length && paths.every((p) => ch.paths.has(p)));
    matching.sort((a, b) => b.head.committer.timestamp - a.head.committer.timestamp);
    const heads: CommitInfo[] = [];
    for (const ch of matching) if (!heads.some((h) => h.id === ch.head.id)) heads.push(ch.head);
    return heads.slice(0, MAX_CANDIDATES);
  }

  /** Approved heads with the same author, author date and message as `commit` (its rebased copy keeps them), other than itself. */
  forIdentity(commit: CommitInfo): CommitInfo[] {
    return (this.byIdentity.get(identityKey(commit)) ?? []).filter((h) => h.id !== commit.id).slice(0, MAX_CANDIDATES);
  }
}
