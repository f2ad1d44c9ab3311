import { resolveCommit } from '../../git/commit';
import { flag, parseCommandArgs, positiveInt, requireStr, str } from '../args';
import { EXIT_FAILED, EXIT_OK } from '../exit';
import type { CliIO } from '../io';
import { formatAudit, rangeJson } from '../landing-format';
import { repoDir } from '../repo';
import type { Command } from './types';
import { runWalk } from './verify';

const HELP = `usage: countersign audit --branch REF --since COMMIT [options]

Walks the first-parent history of REF from COMMIT (exclusive) the way \`verify --range\` does
and prints a summary: how many steps are covered (signed directly, or carried over by merge,
squash, rebase or fast-forward) and each uncovered step with why. Exit 0 only if every step is
covered; a REF that does not descend from COMMIT fails.

  --repo DIR         the git clone (default: the current directory)
  --branch REF       the branch to audit (e.g. origin/main)
  --since COMMIT     where to start (its own landing is not checked)
  --remote NAME      remote to fetch the notes from (default: origin)
  --threshold N      require N distinct signers, at least each step's policy threshold
  --json             print JSON instead of text
  --no-fetch         use the local notes only
  -h, --help         this help
`;

export const auditCommand: Command = {
  name: 'audit',
  async run(argv: string[], io: CliIO): Promise<number> {
    const args = parseCommandArgs(
      'audit',
      argv,
      {
        repo: { type: 'string' },
        branch: { type: 'string' },
        since: { type: 'string' },
        remote: { type: 'string' },
        threshold: { type: 'string' },
        json: { type: 'boolean' },
        'no-fetch': { type: 'boolean' },
      },
      { min: 0, max: 0 },
    );
    if (args.help) {
      io.stdout.write(HELP);
      return EXIT_OK;
    }
    const repo = await repoDir(io.cwd, str(args, 'repo'));
    const branch = requireStr('audit', args, 'branch', '--branch');
    const since = requireStr('audit', args, 'since', '--since');
    const thresholdOverride = positiveInt('audit', str(args, 'threshold'), '--threshold');
    const to = await resolveCommit(repo, branch, { allowRevisions: true });
    const from = await resolveCommit(repo, since, { allowRevisions: true });
    const report = await runWalk(repo, str(args, 'remote') ?? 'origin', from.id, to.id, { noFetch: flag(args, 'no-fetch'), thresholdOverride }, io);
    io.stdout.write(flag(args, 'json') ? JSON.stringify({ branch, ...rangeJson(report) }, null, 2) + '\n' : formatAudit(branch, report));
    return report.ok ? EXIT_OK : EXIT_FAILED;
  },
};
