import { CountersignError } from '../errors';
import { changeCommits, isAncestor, type ChangeCommits } from '../git/ancestry';
import { parseCommitObject, type CommitInfo } from '../git/commit';
import { mergeTree, type MergeTreeResult } from '../git/merge-tree';
import { readObjects } from '../git/objects';
import { readNoteLinesBatch } from '../notes/store';

/**
 * What one run of the gate (one `verify` or `audit`) has learnt about the repository: commits,
 * note lines, ancestry, merge results. Everything is cached for the run, so a question asked for
 * several candidate landings costs one git call; nothing outlives the run (refs move).
 */
export class LandingContext {
  private readonly commitCache = new Map<string, CommitInfo>();
  private readonly lineCache = new Map<string, string[]>();
  private readonly ancestorCache = new Map<string, Promise<boolean>>();
  private readonly changeCache = new Map<string, Promise<ChangeCommits>>();
  private readonly mergeCache = new Map<string, Promise<MergeTreeResult>>();
  /** Position of each commit on the first-parent chain being walked (0 = where the walk starts). */
  private chainIndex = new Map<string, number>();

  constructor(
    readonly repoDir: string,
    readonly notesRef: string,
  ) {}

  /** The first-parent chain the walk covers: an ancestry question between two of its commits needs no git. */
  setChain(ids: string[]): void {
    this.chainIndex = new Map(ids.map((id, i) => [id, i]));
  }

  /** Where `id` is on the chain set by setChain, or -1. */
  chainPosition(id: string): number {
    return this.chainIndex.get(id) ?? -1;
  }

  /** Reads the commits not yet known, in one batch through the repository's cat-file. */
  async loadCommits(ids: string[]): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.commitCache.has(id));
    if (missing.length === 0) return;
    const objects = await readObjects(this.repoDir, missing);
    for (const o of objects) {
      if (!o.found || o.type !== 'commit') throw new CountersignError('unknown-commit', `commit ${o.name} is not in ${this.repoDir} (fetch it first)`);
      this.commitCache.set(o.oid, parseCommitObject(o.oid, o.content.toString('utf8')));
    }
  }

  /** Records a commit and its note lines read elsewhere (the candidate index reads them in bulk). */
  seed(commit: CommitInfo, lines: string[]): void {
    this.commitCache.set(commit.id, commit);
    this.lineCache.set(commit.id, lines);
  }

  async commit(id: string): Promise<CommitInfo> {
    if (!this.commitCache.has(id)) await this.loadCommits([id]);
    return this.commitCache.get(id)!;
  }

  /** Our note lines on these commits, read in one batch. */
  async loadLines(ids: string[]): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.lineCache.has(id));
    if (missing.length === 0) return;
    const read = await readNoteLinesBatch(this.repoDir, this.notesRef, missing);
    for (const [id, lines] of read) this.lineCache.set(id, lines);
  }

  async lines(id: string): Promise<string[]> {
    if (!this.lineCache.has(id)) await this.loadLines([id]);
    return this.lineCache.get(id) ?? [];
  }

  /** `ancestor` is `descendant` or one of its ancestors. */
  isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    if (ancestor === descendant) return Promise.resolve(true);
    const a = this.chainIndex.get(ancestor);
    const d = this.chainIndex.get(descendant);
    // Both on the first-parent chain: the earlier one is an ancestor of the later one, and a
    // later one is never an ancestor of an earlier one (no cycles).
    if (a !== undefined && d !== undefined) return Promise.resolve(a <= d);
    const key = `${ancestor} ${descendant}`;
    let p = this.ancestorCache.get(key);
    if (!p) this.ancestorCache.set(key, (p = isAncestor(this.repoDir, ancestor, descendant)));
    return p;
  }

  /** The commits of the change base..head (and whether base is an ancestor of head). */
  change(base: string, head: string): Promise<ChangeCommits> {
    const key = `${base} ${head}`;
    let p = this.changeCache.get(key);
    if (!p) this.changeCache.set(key, (p = changeCommits(this.repoDir, base, head)));
    return p;
  }

  /** `git merge-tree --write-tree ours theirs`, once per pair. */
  merge(ours: string, theirs: string): Promise<MergeTreeResult> {
    const key = `${ours} ${theirs}`;
    let p = this.mergeCache.get(key);
    if (!p) this.mergeCache.set(key, (p = mergeTree(this.repoDir, ours, theirs)));
    return p;
  }
}
