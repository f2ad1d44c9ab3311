import { runAdminOperation } from '../../server/app';
import { loadConfig } from '../../config/config';
import { parseCommandArgs, requireStr, str } from '../args';
import { EXIT_OK } from '../exit';
import type { CliIO } from '../io';
import { cliRequester } from './invite';
import type { Command } from './types';

const HELP = `usage: countersign request --repo NAME COMMIT [--by WHO]

Asks for signatures on COMMIT (a full commit id) of the configured repository NAME: it appears in
every reviewer's inbox, and the review link is printed. The commit must be on the repository's
remote. Works with or without the server running (see countersign invite --help).

  --repo NAME   a repository configured on the server (the demo one is "demo")
  --by WHO      who is asking, shown in the inbox (default: cli:<your login>)
  -h, --help    this help
`;

export const requestCommand: Command = {
  name: 'request',
  summary: "put a commit in reviewers' inboxes and print its review link",
  async run(argv: string[], io: CliIO): Promise<number> {
    const args = parseCommandArgs('request', argv, { repo: { type: 'string' }, by: { type: 'string' } }, { min: 1, max: 1 });
    if (args.help) {
      io.stdout.write(HELP);
      return EXIT_OK;
    }
    const repo = requireStr('request', args, 'repo', '--repo NAME');
    const by = (str(args, 'by') ?? cliRequester(io.env)).slice(0, 300);
    const config = loadConfig({ env: io.env, cwd: io.cwd });
    const r = await runAdminOperation(config, { op: 'request', repo, commit: args.positionals[0], requestedBy: by });
    io.stdout.write(`${config.publicUrl}/r/${encodeURIComponent(r.repo)}/${r.commit}\n`);
    io.stderr.write(`countersign: review requested for ${r.repo} ${r.commit.slice(0, 12)}\n`);
    return EXIT_OK;
  },
};

export const command = requestCommand;
