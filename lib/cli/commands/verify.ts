import { evaluateResolvedCommit, governingPolicy } from '../../gate/evaluate';
import { evaluateApproval } from '../../landing/approval';
import { LandingContext } from '../../landing/context';
import { Candidates, carryOver, type Coverage } from '../../landing/coverage';
import { verifyRange } from '../../landing/range';
import { loadPolicyAtCommit } from '../../policy/trusted';
import { UsageError } from '../args';
import { describeCoverage, formatRange, rangeJson } from '../landing-format';
import { CountersignError } from '../../errors';
import { resolveCommit } from '../../git/commit';
import { loadTrustedPolicy } from '../../policy/trusted';
import { flag, parseCommandArgs, positiveInt, str } from '../args';
import { EXIT_FAILED, EXIT_OK } from '../exit';
import { formatVerifyTable, printable, type VerifiedCommit } from '../format';
import type { CliIO } from '../io';
import { fetchNotesOrWarn, repoDir } from '../repo';
import type { Command } from './types';

const HELP = `usage: countersign verify [options] COMMIT...

Checks each COMMIT against the policy: counts distinct trusted signers whose signature in the
notes verifies, and exits 0 only if every commit meets the threshold. The policy and the
trusted keys are read from the remote's default branch (or --policy-ref), never from the commit
under review; a commit already on that branch is judged by the policy of its first parent.

  --repo DIR         the git clone (default: the current directory)
  --remote NAME      remote to fetch the notes from; its default branch holds the policy (default: origin)
  --policy-ref REF   read .countersign/ from branch REF of the remote (origin/REF) instead of its
                     default branch (origin/HEAD); a full ref refs/... is taken as given (tags only so)
  --threshold N      require N distinct signers, at least the policy's threshold (raise only)
  --range OLD..NEW   check a push: every first-parent step from OLD to NEW
  --json             print JSON instead of a table
  --no-fetch         use the local notes only
  -h, --help         this help

COMMIT is a full commit id, or any revision (HEAD, a branch).
Exit status: 0 every commit meets the policy, 1 at least one does not, 2 bad input.
`;

export const verifyCommand: Command = {
  name: 'verify',
  async run(argv: string[], io: CliIO): Promise<number> {
    const args = parseCommandArgs(
      'verify',
      argv,
      {
        repo: { type: 'string' },
        remote: { type: 'string' },
        'policy-ref': { type: 'string' },
        threshold: { type: 'string' },
        json: { type: 'boolean' },
        'no-fetch': { type: 'boolean' },
        range: { type: 'string' },
      },
      { min: 0, max: Infinity },
    );
    if (args.help) {
      io.stdout.write(HELP);
      return EXIT_OK;
    }
    const repo = await repoDir(io.cwd, str(args, 'repo'));
    const remote = str(args, 'remote') ?? 'origin';
    const thresholdOverride = positiveInt('verify', str(args, 'threshold'), '--threshold');
    const range = str(args, 'range');
    if (range !== undefined) {
      if (args.positionals.length > 0) throw new UsageError('verify: give either COMMIT... or --range OLD..NEW, not both (see countersign verify --help)');
      if (str(args, 'policy-ref') !== undefined) throw new UsageError('verify: --range reads the policy of each step from the branch before it; --policy-ref does not apply');
      return runRange(repo, remote, range, { json: flag(args, 'json'), noFetch: flag(args, 'no-fetch'), thresholdOverride }, io);
    }
    if (args.positionals.length === 0) throw new UsageError('verify: missing argument: COMMIT... or --range OLD..NEW (see countersign verify --help)');

    const trusted = await loadTrustedPolicy(repo, str(args, 'policy-ref'), { remote });
    if (thresholdOverride !== undefined && thresholdOverride < trusted.policy.threshold) {
      throw new CountersignError(
        'bad-input',
        `--threshold ${thresholdOverride} is below the policy's threshold ${trusted.policy.threshold} on ${trusted.refName}: --threshold may raise the bar, never lower it`,
      );
    }
    // Every commit is resolved before anything is fetched or printed: a typo fails the whole run cleanly.
    const commits = [];
    for (const rev of args.positionals) commits.push(await resolveCommit(repo, rev, { allowRevisions: true }));

    if (!flag(args, 'no-fetch')) await fetchNotesOrWarn(repo, remote, trusted.policy.notesRef, io);

    const now = new Date();
    const results: Array<VerifiedCommit & { covered: boolean; coverage: Coverage | null; refusals: string[] }> = [];
    const ctx = new LandingContext(repo, trusted.policy.notesRef);
    const candidates = new Candidates(ctx);
    for (const c of commits) {
      const v = await evaluateResolvedCommit({ repoDir: repo, commit: c, trusted, now, thresholdOverride });
      const governed = await governingPolicy(repo, trusted, c.id);
      // Signed directly, by the carry-over rule's own reading (H = S): a v2 line's base must be an
      // ancestor of the first parent, and the authors of every commit in base..S are excluded.
      const direct = v.met ? await evaluateApproval(ctx, { head: c, parent: c.parents[0] ?? null, steps: 1, trusted: governed.trusted, now, thresholdOverride }) : null;
      if (v.met && direct && !direct.met) {
        const why = direct.lines.find((l) => !l.counted && l.ok && l.reason)?.reason;
        results.push({ ...v, met: false, title: c.title, covered: false, coverage: null, refusals: [`signed directly: ${direct.count} of ${direct.threshold} count for the change${why ? ` (${why})` : ''}`] });
        continue;
      }
      if (v.met) {
        const coverage: Coverage = { covered: true, how: 'direct', head: c.id, bases: [], parent: c.parents[0] ?? null, steps: 1, signers: v.signers, count: v.count, threshold: v.threshold, refusals: [] };
        results.push({ ...v, title: c.title, covered: true, coverage, refusals: [] });
        continue;
      }
      // Not signed enough itself: is it the merge or squash of an approved change? Judged by the same policy.
      const carried = governed.failures.length === 0 ? await carryOver(ctx, c, governed.trusted, { now, thresholdOverride, candidates }) : null;
      const refusals = [`signed directly: ${v.count} of ${v.threshold}`, ...(carried?.refusals ?? governed.failures)];
      results.push({ ...v, title: c.title, covered: carried?.covered ?? false, coverage: carried?.covered ? carried : null, refusals });
    }
    const ok = results.every((r) => r.covered);

    if (flag(args, 'json')) {
      const { policy } = trusted;
      io.stdout.write(
        JSON.stringify(
          {
            ok,
            policy: {
              ref: trusted.ref,
              commit: trusted.commit,
              repository: policy.repository,
              threshold: Math.max(thresholdOverride ?? 0, policy.threshold),
              namespace: policy.namespace,
              notesRef: policy.notesRef,
            },
            commits: results,
          },
          null,
          2,
        ) + '\n',
      );
    } else {
      // The table's own last line judges direct signatures only; the verdict line below says how each commit is covered.
      const table = formatVerifyTable(trusted, results).replace(/\n\n(OK|FAILED): [^\n]*\n$/, '\n');
      io.stdout.write(table);
      io.stdout.write('\n');
      for (const r of results) {
        io.stdout.write(
          r.covered && r.coverage
            ? `${r.commit.slice(0, 12)}: covered: ${describeCoverage(r.coverage)}\n`
            : `${r.commit.slice(0, 12)}: NOT covered: ${r.refusals.map((x) => printable(x, 400)).join('; ')}\n`,
        );
      }
      const good = results.filter((r) => r.covered);
      const carriedNote = (r: (typeof results)[number]) => (r.coverage && r.coverage.how !== 'direct' ? ` (${describeCoverage(r.coverage)})` : '');
      io.stdout.write(
        '\n' +
          (results.length === 1
            ? good.length
              ? `OK: the commit meets the policy${carriedNote(results[0])}\n`
              : 'FAILED: the commit does not meet the policy\n'
            : `${good.length === results.length ? 'OK' : 'FAILED'}: ${good.length} of ${results.length} commits meet the policy\n`),
      );
      // A commit already on the trusted ref is judged by the policy from before it: say so.
      for (const r of results) {
        if (r.policyCommit && r.policyCommit !== trusted.commit) {
          io.stdout.write(`${r.commit.slice(0, 12)}: policy read from ${r.policyFrom} (${r.policyCommit.slice(0, 12)})\n`);
        }
      }
    }
    // Why a commit fails whatever its approvals, and what the verdict rests on (e.g. an author
    // field nobody verified): on stderr, once each, so that CI logs show them beside the table.
    for (const r of results) for (const f of r.failures) io.stderr.write(`countersign: ${r.commit.slice(0, 12)}: ${f}\n`);
    for (const w of new Set(results.flatMap((r) => r.warnings))) io.stderr.write(`countersign: warning: ${w}\n`);
    return ok ? EXIT_OK : EXIT_FAILED;
  },
};

async function runRange(
  repo: string,
  remote: string,
  range: string,
  opts: { json: boolean; noFetch: boolean; thresholdOverride?: number },
  io: CliIO,
): Promise<number> {
  const m = /^([^.\s][^\s]*?)\.\.([^.\s][^\s]*)$/.exec(range);
  if (!m || m[1].includes('..') || m[2].includes('..')) throw new UsageError(`verify: --range must be OLD..NEW (two revisions), got ${JSON.stringify(range)}`);
  const [from, to] = [await resolveCommit(repo, m[1], { allowRevisions: true }), await resolveCommit(repo, m[2], { allowRevisions: true })];
  const report = await runWalk(repo, remote, from.id, to.id, opts, io);
  io.stdout.write(opts.json ? JSON.stringify(rangeJson(report), null, 2) + '\n' : formatRange(report));
  return report.ok ? EXIT_OK : EXIT_FAILED;
}

/** The walk behind `verify --range` and `audit`: the notes ref is the one named by the policy at OLD. */
export async function runWalk(
  repo: string,
  remote: string,
  from: string,
  to: string,
  opts: { noFetch: boolean; thresholdOverride?: number },
  io: CliIO,
) {
  const start = await loadPolicyAtCommit(repo, from, `the branch at ${from.slice(0, 12)}`);
  if (!opts.noFetch) await fetchNotesOrWarn(repo, remote, start.policy.notesRef, io);
  return verifyRange(repo, from, to, { notesRef: start.policy.notesRef, now: new Date(), thresholdOverride: opts.thresholdOverride });
}
