import type { Coverage } from '../landing/coverage';
import type { RangeReport, StepReport } from '../landing/range';
import { printable } from './format';

const short = (id: string) => id.slice(0, 12);

/** "signed directly" or "carried over from H (merge)", with who counted. */
export function describeCoverage(c: Coverage, position = 1): string {
  const who = `${c.count}/${c.threshold}${c.signers.length ? `: ${c.signers.map((s) => printable(s, 60)).join(', ')}` : ''}`;
  if (c.how === 'direct') return `signed directly (${who})`;
  const run = c.steps > 1 ? `, commit ${position} of ${c.steps} on ${short(c.parent ?? '')}` : '';
  return `carried over from ${short(c.head ?? '')} (${c.how}${run}; ${who})`;
}

function stepLine(s: StepReport): string {
  const head = `${short(s.commit)}  ${printable(s.title, 50)}`;
  if (s.covered && s.coverage) return `${head}\n  covered: ${describeCoverage(s.coverage, s.position)}`;
  return `${head}\n  NOT covered:${s.refusals.map((r) => `\n    - ${printable(r, 400)}`).join('')}`;
}

/** `verify --range`: one entry per first-parent step, oldest first, then the verdict. */
export function formatRange(r: RangeReport): string {
  const out = [`range ${short(r.from)}..${short(r.to)}: ${r.steps.length} first-parent step(s); policy for each step from the branch before it`];
  if (r.problem) {
    out.push('', `FAILED: ${r.problem}`);
    return out.join('\n') + '\n';
  }
  for (const s of r.steps) out.push('', stepLine(s));
  const bad = r.steps.filter((s) => !s.covered).length;
  out.push('', bad === 0 ? `OK: every step from ${short(r.from)} to ${short(r.to)} is covered` : `FAILED: ${bad} of ${r.steps.length} steps are not covered`);
  return out.join('\n') + '\n';
}

/** `audit`: a summary of how the branch's history is covered, then each uncovered step with why. */
export function formatAudit(branch: string, r: RangeReport): string {
  const out = [`audit of ${printable(branch, 100)} since ${short(r.from)} (${short(r.to)}): ${r.steps.length} first-parent step(s)`];
  if (r.problem) {
    out.push(`FAILED: ${r.problem}`);
    return out.join('\n') + '\n';
  }
  const counts = new Map<string, number>();
  for (const s of r.steps) if (s.covered && s.coverage?.how) counts.set(s.coverage.how, (counts.get(s.coverage.how) ?? 0) + 1);
  const covered = r.steps.filter((s) => s.covered).length;
  out.push(`covered: ${covered}${counts.size ? ` (${[...counts].map(([k, n]) => `${k} ${n}`).join(', ')})` : ''}`);
  const uncovered = r.steps.filter((s) => !s.covered);
  out.push(`uncovered: ${uncovered.length}`);
  for (const s of uncovered) out.push('', stepLine(s));
  out.push('', uncovered.length === 0 ? 'OK: every step is covered' : `FAILED: ${uncovered.length} of ${r.steps.length} steps are not covered`);
  return out.join('\n') + '\n';
}

/** JSON shape shared by `verify --range --json` and `audit --json`. */
export function rangeJson(r: RangeReport): object {
  return {
    ok: r.ok,
    from: r.from,
    to: r.to,
    problem: r.problem,
    steps: r.steps.map((s) => ({ commit: s.commit, title: s.title, covered: s.covered, position: s.position, policyCommit: s.policyCommit, coverage: s.coverage, refusals: s.refusals })),
  };
}
