import { CountersignError } from '../errors';
import { firstParentChain } from '../git/ancestry';
import type { CommitInfo } from '../git/commit';
import { readObjects } from '../git/objects';
import { loadPolicyAtCommit, type TrustedPolicy } from '../policy/trusted';
import { lineBase, parseNoteLine } from '../notes/line';
import { LandingContext } from './context';
import { Candidates, coverageOf, type Coverage } from './coverage';
import { checkLanding, type Landing, type LandingVerdict, type RuleOptions } from './rule';

type Accepted = Extract<LandingVerdict, { ok: true }>;

/** One first-parent step of the walk: the commit that landed and how it is covered. */
export interface StepReport {
  commit: string;
  title: string;
  covered: boolean;
  /** Set on every step a landing covers (the run's steps share it); null when uncovered. */
  coverage: Coverage | null;
  /** 1-based position of this step in its landing's run (k steps), e.g. 2 of 3 rebased commits. */
  position: number;
  /** The policy in force: read from P's tree (the branch as it stood before). */
  policyCommit: string | null;
  /** Why it is not covered (every way tried), when it is not. */
  refusals: string[];
}

export interface RangeReport {
  from: string;
  to: string;
  ok: boolean;
  /** The range itself is not a history to walk (rewritten, or OLD only reached through a second parent). */
  problem: string | null;
  steps: StepReport[];
}

const short = (id: string) => id.slice(0, 12);
const POLICY_DIR = '.countersign';
/** How far back a run (rebase, fast-forward) may start; a longer run needs its own approvals in parts. */
export const MAX_RUN = 1000;

/**
 * The gate for a push from OLD to NEW (or an audit of a branch since a commit): NEW must descend
 * from OLD along first parents, and every first-parent step must be covered, directly or by a
 * landing of an approved change (README "When an approval carries over"). The policy for a step
 * is the one in P's tree (loadPolicyAtCommit), so a change to .countersign/ is judged by the
 * policy before it.
 *
 * Steps are decided oldest first, as a shortest path: for each commit, the landings that end at
 * it (direct, merge, squash, a rebase or fast-forward run of k commits) are tried in order of
 * fewest uncovered steps before them, longest run first; a commit no landing covers is uncovered
 * and the walk goes on, so that every uncovered step is reported, not only the first.
 */
export async function walkRange(ctx: LandingContext, from: string, to: string, opts: RuleOptions): Promise<RangeReport> {
  const report = (problem: string | null, steps: StepReport[]): RangeReport => ({
    from,
    to,
    ok: problem === null && steps.every((s) => s.covered),
    problem,
    steps,
  });
  if (!(await ctx.isAncestor(from, to))) {
    return report(`${short(to)} does not descend from ${short(from)}: the history was rewritten (a force-push); nothing after ${short(from)} is accepted`, []);
  }
  const chain = await firstParentChain(ctx.repoDir, from, to);
  if (chain.length === 0) return report(null, []);
  if (chain[0].parents[0] !== from) {
    return report(
      `${short(from)} is not on the first-parent line of ${short(to)} (it was merged in as a second parent, e.g. the branch was merged into a topic and pushed): the steps cannot be told apart`,
      [],
    );
  }
  const ids = [from, ...chain.map((c) => c.id)];
  ctx.setChain(ids);
  await ctx.loadCommits(ids);
  await ctx.loadLines([...chain.map((c) => c.id), ...chain.flatMap((c) => c.parents.slice(1))]);
  const commits: CommitInfo[] = await Promise.all(ids.map((id) => ctx.commit(id)));
  const n = chain.length;
  const policies = await policyLoader(ctx, ids);
  const candidates = new Candidates(ctx);
  let pathsLoaded = false;

  // runStart[i]: the smallest j such that s[j+1..i] are all single-parent commits.
  const runStart: number[] = [0];
  for (let i = 1; i <= n; i++) runStart[i] = commits[i].parents.length === 1 ? (i > 1 && commits[i - 1].parents.length === 1 ? runStart[i - 1] : i - 1) : i - 1;

  const cost: number[] = [0];
  const choice: Array<{ from: number; verdict: Accepted } | null> = [null];
  const refusalsAt: string[][] = [[]];

  for (let i = 1; i <= n; i++) {
    const s = commits[i];
    const refusals: string[] = [];
    const tried = new Set<string>();
    let best: { cost: number; from: number; verdict: Accepted } | null = null;
    const uncoveredCost = cost[i - 1] + 1;

    const attempt = async (landings: Array<{ landing: Landing; from: number }>) => {
      landings.sort((a, b) => cost[a.from] - cost[b.from] || a.from - b.from);
      for (const { landing, from: j } of landings) {
        const key = `${landing.kind} ${landing.head.id} ${j}`;
        if (tried.has(key)) continue;
        tried.add(key);
        if (cost[j] >= (best?.cost ?? uncoveredCost)) break;
        const policy = await policies(j);
        if ('error' in policy) {
          refusals.push(`${landing.kind} of ${short(landing.head.id)} from ${short(ids[j])}: ${policy.error}`);
          continue;
        }
        const v = await checkLanding(ctx, landing, policy, opts);
        if (v.ok) {
          best = { cost: cost[j], from: j, verdict: v };
          return;
        }
        refusals.push(`${describe(landing)}: ${v.reason}`);
      }
    };

    // Landings that need no index: the commit's own approvals, on its parent or as a fast-forwarded run, and the merge button.
    const plain: Array<{ landing: Landing; from: number }> = [];
    if ((await ctx.lines(s.id)).length > 0) {
      plain.push({ landing: { kind: 'direct', parent: ids[i - 1], landed: s, steps: 1, head: s }, from: i - 1 });
      for (const j of await runStarts(ctx, s, runStart[i], i)) {
        if (j < i - 1) plain.push({ landing: { kind: 'fast-forward', parent: ids[j], landed: s, steps: i - j, head: s }, from: j });
      }
    }
    if (s.parents.length === 2 && s.parents[0] === ids[i - 1]) {
      plain.push({ landing: { kind: 'merge', parent: ids[i - 1], landed: s, steps: 1, head: await ctx.commit(s.parents[1]) }, from: i - 1 });
    }
    await attempt(plain);

    // Squash and rebase: look the approved change up in the index, unless a landing from a step no worse was found.
    const window = Math.max(runStart[i], i - MAX_RUN);
    const bestPossible = Math.min(...cost.slice(window, i));
    if (s.parents.length === 1 && (best === null || (best as { cost: number }).cost > bestPossible)) {
      if (!pathsLoaded) {
        pathsLoaded = true;
        await candidates.loadPaths(commits.slice(1).filter((c) => c.parents.length === 1).map((c) => c.id));
      }
      const indexed: Array<{ landing: Landing; from: number }> = [];
      for (const c of await candidates.forSingleParent(s)) {
        indexed.push({ landing: { kind: c.kind, parent: ids[i - 1], landed: s, steps: 1, head: c.head }, from: i - 1 });
        if (c.kind !== 'rebase') continue;
        for (const j of await runStarts(ctx, c.head, window, i)) {
          if (j < i - 1) indexed.push({ landing: { kind: 'rebase', parent: ids[j], landed: s, steps: i - j, head: c.head }, from: j });
        }
      }
      await attempt(indexed);
    }

    const found = best as { cost: number; from: number; verdict: Accepted } | null;
    if (found) {
      cost[i] = found.cost;
      choice[i] = { from: found.from, verdict: found.verdict };
    } else {
      cost[i] = uncoveredCost;
      choice[i] = null;
    }
    if (refusals.length === 0) refusals.push('no approval of this commit, and it is not the merge, squash or rebase of an approved change');
    refusalsAt[i] = refusals;
  }

  // Read the chosen landings back from NEW.
  const steps: StepReport[] = new Array(n);
  for (let i = n; i >= 1; ) {
    const c = choice[i];
    if (c) {
      const coverage = coverageOf(c.verdict);
      for (let m = c.from + 1; m <= i; m++) {
        steps[m - 1] = { commit: ids[m], title: commits[m].title, covered: true, coverage, position: m - c.from, policyCommit: ids[c.from], refusals: [] };
      }
      i = c.from;
    } else {
      steps[i - 1] = { commit: ids[i], title: commits[i].title, covered: false, coverage: null, position: 1, policyCommit: ids[i - 1], refusals: refusalsAt[i] };
      i--;
    }
  }
  return report(null, steps);
}

function describe(l: Landing): string {
  const what = l.kind === 'direct' ? 'signed directly' : `${l.kind} of ${short(l.head.id)}`;
  return l.steps > 1 ? `${what} as ${l.steps} commits on ${short(l.parent)}` : what;
}

/**
 * Where a run ending at S with approved head H may start: for each base B of H's lines, the
 * longest run the rule allows, P = the later of B (when B is on the chain; P must descend from
 * B) and the commit n steps back, n = the commits in B..H (k may not exceed n), within [lo, hi).
 * A shorter run from the same base is never better: it leaves more steps to cover.
 */
async function runStarts(ctx: LandingContext, head: CommitInfo, lo: number, hi: number): Promise<number[]> {
  const starts = new Set<number>();
  for (const l of await ctx.lines(head.id)) {
    let base: string | null;
    try {
      base = lineBase(parseNoteLine(l), head.parents[0] ?? null);
    } catch {
      continue;
    }
    if (!base || base === head.id) continue;
    const change = await ctx.change(base, head.id);
    if (!change.baseIsAncestor) continue;
    const j = Math.max(lo, ctx.chainPosition(base), hi - change.commits.length);
    if (j < hi) starts.add(j);
  }
  return [...starts];
}

type LoadedPolicy = TrustedPolicy | { error: string };

/** The policy in P's tree for each position, loaded once per distinct .countersign/ tree. */
async function policyLoader(ctx: LandingContext, ids: string[]): Promise<(j: number) => Promise<LoadedPolicy>> {
  const dirs = await readObjects(ctx.repoDir, ids.map((id) => `${id}:${POLICY_DIR}`));
  const byTree = new Map<string, Promise<LoadedPolicy>>();
  return (j: number) => {
    const d = dirs[j];
    const key = d.found ? d.oid : `missing:${ids[j]}`;
    let p = byTree.get(key);
    if (!p) {
      p = loadPolicyAtCommit(ctx.repoDir, ids[j], `the branch at ${short(ids[j])}`).catch((e) => {
        if (e instanceof CountersignError) return { error: `no usable policy where the branch stood: ${e.message}` };
        throw e;
      });
      byTree.set(key, p);
    }
    return p;
  };
}

/**
 * Resolves OLD and NEW (any revisions), and walks. The notes are read from the notes ref of the
 * policy at OLD (the branch before the push).
 */
export async function verifyRange(repoDir: string, from: string, to: string, opts: RuleOptions & { notesRef: string }): Promise<RangeReport> {
  const ctx = new LandingContext(repoDir, opts.notesRef);
  return walkRange(ctx, from, to, opts);
}
