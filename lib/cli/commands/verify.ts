import { evaluateResolvedCommit } from '../../gate/evaluate';
import { CountersignError } from '../../errors';
import { resolveCommit } from '../../git/commit';
import { loadTrustedPolicy } from '../../policy/trusted';
import { flag, parseCommandArgs, positiveInt, str } from '../args';
import { EXIT_FAILED, EXIT_OK } from '../exit';
import { formatVerifyTable, type VerifiedCommit } from '../format';
import type { CliIO } from '../io';
import { fetchNotesOrWarn, repoDir } from '../repo';
import type { Command } from './types';

const HELP = `usage: countersign verify [options] COMMIT...

Checks each COMMIT against the policy: counts distinct trusted signers whose signature in the
notes verifies, and exits 0 only if every commit meets the threshold. The policy and the
trusted keys are read from the remote's default branch (or --policy-ref), never from the commit
under review.

  --repo DIR         the git clone (default: the current directory)
  --remote NAME      remote to fetch the notes from; its default branch holds the policy (default: origin)
  --policy-ref REF   read .countersign/ from REF instead (e.g. refs/remotes/origin/main)
  --threshold N      require N distinct signers, at least the policy's threshold (raise only)
  --json             print JSON instead of a table
  --no-fetch         use the local notes only
  -h, --help         this help

COMMIT is a full commit id, or any revision (HEAD, a branch).
Exit status: 0 every commit meets the policy, 1 at least one does not, 2 bad input.
`;

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'check commits against the policy (threshold of trusted signatures); exit 0 only if all pass',
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
      },
      { min: 1, max: Infinity },
    );
    if (args.help) {
      io.stdout.write(HELP);
      return EXIT_OK;
    }
    const repo = await repoDir(io.cwd, str(args, 'repo'));
    const remote = str(args, 'remote') ?? 'origin';
    const thresholdOverride = positiveInt('verify', str(args, 'threshold'), '--threshold');

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
    const results: VerifiedCommit[] = [];
    for (const c of commits) {
      const v = await evaluateResolvedCommit({ repoDir: repo, commit: c, trusted, now, thresholdOverride });
      results.push({ ...v, title: c.title });
    }
    const ok = results.every((r) => r.met);

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
      io.stdout.write(formatVerifyTable(trusted, results));
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
