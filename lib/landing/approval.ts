import { evaluateLines, type LinesVerdict, type LineVerdict } from '../gate/evaluate';
import { exclusionsForCommits } from '../gate/exclusions';
import type { CommitInfo } from '../git/commit';
import { lineBase, parseNoteLine } from '../notes/line';
import type { TrustedPolicy } from '../policy/trusted';
import type { LandingContext } from './context';

export type PolicyInForce = Pick<TrustedPolicy, 'policy' | 'allowedSigners'>;

export interface ApprovalInput {
  /** The approved head H (the commit the note lines are on). */
  head: CommitInfo;
  /** Where the branch stood before the landing (P); null only for a root commit checked on its own. */
  parent: string | null;
  /** Commits the landing puts on the branch (k): the change must have at least this many. */
  steps: number;
  trusted: PolicyInForce;
  now: Date;
  thresholdOverride?: number;
}

export interface ApprovalVerdict extends LinesVerdict {
  /** The bases of the lines that apply to this landing (each line's own, v1: H's first parent). */
  bases: string[];
  /** The commits of the change (union of base..H over those bases), newest first. */
  changeCommits: string[];
}

const short = (id: string) => id.slice(0, 12);

/**
 * Which of H's approvals apply when H lands on P, and whether they meet the policy.
 *
 * A line applies when its base B (v2: the line's; v1: H's first parent) is an ancestor of P (or
 * P itself) and of H — then B..H holds every commit H brings to P, so the reviewer saw all of
 * it — and when the change B..H has at least as many commits as the landing puts on the branch.
 * Authors and committers of every commit in the change (the union of B..H over the applying
 * lines' bases: the wider the change a reviewer saw, the more people it excludes) do not count
 * (policy excludeAuthor). Lines that do not apply are reported, never counted.
 */
export async function evaluateApproval(ctx: LandingContext, input: ApprovalInput): Promise<ApprovalVerdict> {
  const { head, parent, steps, trusted } = input;
  const raw = await ctx.lines(head.id);
  const firstParent = head.parents[0] ?? null;

  const applying: string[] = [];
  const refused = new Map<string, string>(); // raw line -> why it does not apply
  const bases = new Set<string>();
  const changeCommits = new Set<string>();
  const baseVerdicts = new Map<string | null, string | null>(); // base -> null (applies) or why not

  for (const line of raw) {
    let base: string | null;
    try {
      base = lineBase(parseNoteLine(line), firstParent);
    } catch {
      applying.push(line); // unreadable: evaluateLines reports it as invalid
      continue;
    }
    if (!baseVerdicts.has(base)) baseVerdicts.set(base, await whyBaseRefused(ctx, base, head, parent, steps, changeCommits, bases));
    const why = baseVerdicts.get(base);
    if (why) refused.set(line, why);
    else applying.push(line);
  }

  const commits = parent === null && applying.length > 0 ? [head.id] : [...changeCommits];
  const excl = await exclusionsForCommits(ctx.repoDir, commits, trusted, input.now);
  const common = {
    repository: trusted.policy.repository,
    commit: head.id,
    tree: head.tree,
    policy: trusted.policy,
    allowedSigners: trusted.allowedSigners,
    now: input.now,
    thresholdOverride: input.thresholdOverride,
  };
  const verdict = evaluateLines({ ...common, lines: applying, exclusions: excl.exclusions, warnings: excl.warnings, failures: excl.failures });
  let lines: LineVerdict[] = verdict.lines;
  if (refused.size > 0) {
    // Shown for what they are (a good signature for another base is still a good signature), never counted.
    const shown = evaluateLines({ ...common, lines: [...refused.keys()], exclusions: [] }).lines.map((l) => ({
      ...l,
      counted: false,
      ...(l.ok ? { status: 'not-counted' as const, reason: refused.get(l.line) } : {}),
    }));
    const byLine = new Map([...verdict.lines, ...shown].map((l) => [l.line, l]));
    lines = raw.map((l) => byLine.get(l)!).filter(Boolean);
  }
  return { ...verdict, lines, bases: [...bases], changeCommits: commits };
}

async function whyBaseRefused(
  ctx: LandingContext,
  base: string | null,
  head: CommitInfo,
  parent: string | null,
  steps: number,
  changeCommits: Set<string>,
  bases: Set<string>,
): Promise<string | null> {
  if (parent === null) return base === null ? null : `its base ${short(base)} is not this root commit's (none)`;
  if (base === null) return `it approves the root commit ${short(head.id)} as a whole tree, which does not carry over onto another history`;
  if (base === head.id) return `its base is the approved commit itself (an empty change)`;
  if (!(await ctx.isAncestor(base, parent))) {
    return `its base ${short(base)} is not an ancestor of ${short(parent)}, where the branch stood: the reviewer did not see every change ${short(head.id)} brings to it`;
  }
  const change = await ctx.change(base, head.id);
  if (!change.baseIsAncestor) return `its base ${short(base)} is not an ancestor of ${short(head.id)}`;
  if (change.commits.length < steps) {
    return `the change ${short(base)}..${short(head.id)} has ${change.commits.length} commit(s), fewer than the ${steps} landed`;
  }
  for (const c of change.commits) changeCommits.add(c);
  bases.add(base);
  return null;
}
