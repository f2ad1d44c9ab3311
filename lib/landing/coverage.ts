import type { CommitInfo } from '../git/commit';
import { changedPathsBatch } from '../git/changed-paths';
import type { PolicyInForce } from './approval';
import { CandidateIndex } from './candidates';
import type { LandingContext } from './context';
import { checkLanding, type Landing, type LandingKind, type LandingVerdict, type RuleOptions } from './rule';

/** How one landed commit is covered, or why it is not. */
export interface Coverage {
  covered: boolean;
  /** direct: the commit's own approvals; otherwise carried over from `head`. */
  how: LandingKind | null;
  /** The approved head whose signatures count (the commit itself when direct). */
  head: string | null;
  /** The bases of the counted approvals. */
  bases: string[];
  /** Where the branch stood before (P). */
  parent: string | null;
  /** First-parent steps the landing covers (k). */
  steps: number;
  signers: string[];
  count: number;
  threshold: number;
  /** Why each way of covering it was refused (empty when covered directly). */
  refusals: string[];
}

export function coverageOf(v: LandingVerdict & { ok: true }): Coverage {
  const { landing: l, approval: a } = v;
  return {
    covered: true,
    how: l.kind,
    head: l.head.id,
    bases: a.bases,
    parent: l.parent,
    steps: l.steps,
    signers: a.signers,
    count: a.count,
    threshold: a.threshold,
    refusals: [],
  };
}

/** Lazily built candidate index, shared by every question of one run. */
export class Candidates {
  private index: Promise<CandidateIndex> | null = null;
  private readonly paths = new Map<string, string[]>();
  constructor(private readonly ctx: LandingContext) {}

  get(): Promise<CandidateIndex> {
    return (this.index ??= CandidateIndex.build(this.ctx));
  }

  /** The paths single-parent commits change against their parent, for many commits in one process. */
  async loadPaths(ids: string[]): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.paths.has(id));
    const got = await changedPathsBatch(this.ctx.repoDir, missing.map((commit) => ({ commit })));
    missing.forEach((id, i) => this.paths.set(id, got[i] ?? []));
  }

  async pathsOf(id: string): Promise<string[]> {
    if (!this.paths.has(id)) await this.loadPaths([id]);
    return this.paths.get(id)!;
  }

  /** Heads that a single-parent commit may be the squash (by paths) or the one-commit rebase (by author and message) of. */
  async forSingleParent(s: CommitInfo): Promise<Array<{ head: CommitInfo; kind: 'squash' | 'rebase' }>> {
    const index = await this.get();
    if (index.size === 0) return [];
    const out: Array<{ head: CommitInfo; kind: 'squash' | 'rebase' }> = [];
    for (const head of index.forIdentity(s)) out.push({ head, kind: 'rebase' });
    for (const head of index.forPaths(await this.pathsOf(s.id))) if (!out.some((o) => o.head.id === head.id)) out.push({ head, kind: 'squash' });
    return out;
  }
}

/**
 * `verify COMMIT` when the commit's own approvals fall short: is S, on its first parent P, the
 * merge (parents exactly [P, H]) or the one-commit squash / rebase of an approved change H?
 * Runs of several rebased commits need to know where the branch stood: `verify --range`
 * recognises them. Returns the coverage, or the refusals of every way tried.
 */
export async function carryOver(
  ctx: LandingContext,
  s: CommitInfo,
  trusted: PolicyInForce,
  opts: RuleOptions & { candidates?: Candidates },
): Promise<Coverage> {
  const parent = s.parents[0] ?? null;
  const threshold = Math.max(opts.thresholdOverride ?? 0, trusted.policy.threshold);
  const refusals: string[] = [];
  const uncovered = (): Coverage => ({ covered: false, how: null, head: null, bases: [], parent, steps: 1, signers: [], count: 0, threshold, refusals });
  if (parent === null) return uncovered();
  const attempts: Landing[] = [];
  if (s.parents.length === 2) {
    attempts.push({ kind: 'merge', parent, landed: s, steps: 1, head: await ctx.commit(s.parents[1]) });
  } else if (s.parents.length === 1) {
    const candidates = opts.candidates ?? new Candidates(ctx);
    for (const c of await candidates.forSingleParent(s)) attempts.push({ kind: c.kind, parent, landed: s, steps: 1, head: c.head });
  }
  for (const landing of attempts) {
    const v = await checkLanding(ctx, landing, trusted, opts);
    if (v.ok) return coverageOf(v);
    refusals.push(`${landing.kind} of ${landing.head.id.slice(0, 12)}: ${v.reason}`);
  }
  if (attempts.length === 0) refusals.push(s.parents.length > 2 ? 'an octopus merge never carries approvals over' : 'it is not the merge, squash or rebase of an approved change');
  return uncovered();
}
