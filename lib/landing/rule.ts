import { evaluateLines } from '../gate/evaluate';
import type { CommitInfo } from '../git/commit';
import { evaluateApproval, type ApprovalVerdict, type PolicyInForce } from './approval';
import type { LandingContext } from './context';

/**
 * How a landed commit S came from an approved head H, with P the commit the branch stood at before:
 * - direct: S is H (an approval of S itself), P its first parent;
 * - fast-forward: S is H, the tip of k > 1 single-parent commits on P (a change pushed as it was reviewed);
 * - merge: S has parents exactly [P, H] (the merge button);
 * - squash: S has the single parent P and H's result as its tree;
 * - rebase: S is the tip of k single-parent commits on P (rebased copies of H's change).
 */
export type LandingKind = 'direct' | 'fast-forward' | 'merge' | 'squash' | 'rebase';

export interface Landing {
  kind: LandingKind;
  /** P: where the branch stood before. */
  parent: string;
  /** S: the commit that landed (the tip of the run for fast-forward and rebase). */
  landed: CommitInfo;
  /** k: how many first-parent steps from P to S. */
  steps: number;
  /** H: the approved head whose signatures are checked. */
  head: CommitInfo;
}

export type LandingVerdict =
  | { ok: true; landing: Landing; approval: ApprovalVerdict }
  | { ok: false; landing: Landing; reason: string; approval?: ApprovalVerdict };

export interface RuleOptions {
  now: Date;
  thresholdOverride?: number;
}

const short = (id: string) => id.slice(0, 12);

function shapeProblem(l: Landing): string | null {
  const { landed: s, head: h, parent: p, steps: k } = l;
  switch (l.kind) {
    case 'direct':
      return s.id === h.id && k === 1 && s.parents[0] === p ? null : 'not a direct approval of the landed commit on its first parent';
    case 'fast-forward':
      return s.id === h.id && k > 1 && s.parents.length === 1 ? null : 'not a fast-forward of the approved head';
    case 'merge':
      return s.parents.length === 2 && s.parents[0] === p && s.parents[1] === h.id && k === 1 ? null : `its parents are not exactly [${short(p)}, ${short(h.id)}]`;
    case 'squash':
      return s.parents.length === 1 && s.parents[0] === p && k === 1 && s.id !== h.id ? null : 'not a single-parent commit on the branch';
    case 'rebase':
      return s.parents.length === 1 && k >= 1 && s.id !== h.id ? null : 'not the tip of single-parent commits on the branch';
  }
}

/**
 * The carry-over rule (README "When an approval carries over"): an approval of H with base B,
 * verifying under the policy in force, counts for the landed commit S on P when
 * `git merge-tree --write-tree P H` is clean and gives exactly S's tree, B is an ancestor of P
 * (so of merge-base(P, H)) and of H, the landing has one of the shapes of LandingKind (the
 * caller proves that the k commits of a run are single-parent commits on P), and k is at most
 * the number of commits in B..H. Everything else is refused with the reason.
 */
export async function checkLanding(ctx: LandingContext, landing: Landing, trusted: PolicyInForce, opts: RuleOptions): Promise<LandingVerdict> {
  const refuse = (reason: string, approval?: ApprovalVerdict): LandingVerdict => ({ ok: false, landing, reason, ...(approval ? { approval } : {}) });
  const shape = shapeProblem(landing);
  if (shape) return refuse(shape);
  const { head, landed, parent } = landing;
  const threshold = Math.max(opts.thresholdOverride ?? 0, trusted.policy.threshold);

  // Cheap first (no git process): whatever the bases and exclusions, are there enough good signatures at all?
  const lines = await ctx.lines(head.id);
  if (lines.length === 0) return refuse(`${short(head.id)} has no signatures`);
  const optimistic = evaluateLines({
    lines,
    repository: trusted.policy.repository,
    commit: head.id,
    tree: head.tree,
    exclusions: [],
    policy: trusted.policy,
    allowedSigners: trusted.allowedSigners,
    now: opts.now,
    thresholdOverride: opts.thresholdOverride,
  });
  if (optimistic.count < threshold) {
    const why = optimistic.lines.find((l) => !l.counted)?.reason;
    return refuse(`${short(head.id)} has ${optimistic.count} of ${threshold} trusted approvals${why ? ` (${why})` : ''}`);
  }

  const approval = await evaluateApproval(ctx, { head, parent, steps: landing.steps, trusted, now: opts.now, thresholdOverride: opts.thresholdOverride });
  if (!approval.met) {
    const why = approval.failures[0] ?? approval.lines.find((l) => !l.counted && l.reason)?.reason;
    return refuse(`${short(head.id)} has ${approval.count} of ${approval.threshold} approvals that count for this landing${why ? `: ${why}` : ''}`, approval);
  }

  if (head.id !== landed.id) {
    const merged = await ctx.merge(parent, head.id);
    if (!merged.clean) {
      return refuse(`git merge-tree ${short(parent)} ${short(head.id)} is not clean (${merged.reason}): a hand-resolved merge needs its own approval`, approval);
    }
    if (merged.tree !== landed.tree) {
      return refuse(
        `the landed tree is not what merging ${short(head.id)} onto ${short(parent)} gives (an edited merge result, or a base that moved so the result changed)`,
        approval,
      );
    }
  }
  return { ok: true, landing, approval };
}
