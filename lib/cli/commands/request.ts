import { loadAdmin } from '../admin';
import { parseCommandArgs, requireStr, str } from '../args';
import { EXIT_OK } from '../exit';
import type { CliIO } from '../io';
import { cliRequester } from './invite';
import type { Command } from './types';

const HELP = `usage: countersign request --repo NAME [--base REV] COMMIT [--by WHO]

Asks for signatures on COMMIT of the configured repository NAME: it appears in every reviewer's
inbox, and the review link is printed. COMMIT is a full or abbreviated commit id or a branch name
of the repository's remote, and must be on that remote. Works with or without the server running
(see countersign invite --help).

With --base, the request is for the change from REV to COMMIT (a pull request's commits, reviewed
as one diff): REV is a branch name or a commit id; the base is pinned now as merge-base(REV,
COMMIT), so every reviewer is shown, and signs, the same change.

  --repo NAME   a repository configured on the server (the demo one is "demo")
  --base REV    review the change from REV (e.g. main) to COMMIT, not COMMIT alone
  --by WHO      who is asking, shown in the inbox (default: cli:<your login>)
  -h, --help    this help
`;

export const requestCommand: Command = {
  name: 'request',
  async run(argv: string[], io: CliIO): Promise<number> {
    const args = parseCommandArgs('request', argv, { repo: { type: 'string' }, base: { type: 'string' }, by: { type: 'string' } }, { min: 1, max: 1 });
    if (args.help) {
      io.stdout.write(HELP);
      return EXIT_OK;
    }
    const repo = requireStr('request', args, 'repo', '--repo NAME');
    const base = str(args, 'base');
    const by = (str(args, 'by') ?? cliRequester(io.env)).slice(0, 300);
    const { runAdminOperation, loadConfig } = await loadAdmin('request');
    const config = loadConfig({ env: io.env, cwd: io.cwd });
    const r = await runAdminOperation(config, { op: 'request', repo, commit: args.positionals[0], ...(base !== undefined ? { base } : {}), requestedBy: by });
    const query = r.base ? `?base=${r.base}${r.baseName ? `&from=${encodeURIComponent(r.baseName)}` : ''}` : '';
    io.stdout.write(`${config.publicUrl}/r/${encodeURIComponent(r.repo)}/${r.commit}${query}\n`);
    const what = r.base ? `the change ${r.base.slice(0, 12)}..${r.commit.slice(0, 12)}${r.baseName ? ` (from ${r.baseName})` : ''}` : r.commit.slice(0, 12);
    io.stderr.write(`countersign: review requested for ${r.repo} ${what}\n`);
    return EXIT_OK;
  },
};

export const command = requestCommand;
