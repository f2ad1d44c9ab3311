import { userInfo } from 'node:os';
import { loadAdmin } from '../admin';
import { flag, parseCommandArgs, str, UsageError } from '../args';
import { EXIT_OK } from '../exit';
import type { CliIO } from '../io';
import type { Command } from './types';

const HELP = `usage: countersign invite EMAIL [--admin] [--hours N]

Prints a one-time invite URL: whoever opens it enrolls a passkey as EMAIL (which becomes their
signer name in allowed_signers). The token is stored hashed; the link works once and expires.

Works on the server's data whether or not the server is running: with the embedded database the
CLI asks the running server over its control socket (<dataDir>/control.sock), or opens the
database itself when no server holds it; with DATABASE_URL it connects directly.
Configuration as for the server (COUNTERSIGN_CONFIG / ./countersign.config.json, environment).

  --admin       the new user may create invites and bot tokens
  --hours N     validity in hours (default 24)
  -h, --help    this help
`;

export const inviteCommand: Command = {
  name: 'invite',
  async run(argv: string[], io: CliIO): Promise<number> {
    const args = parseCommandArgs('invite', argv, { admin: { type: 'boolean' }, hours: { type: 'string' } }, { min: 1, max: 1 });
    if (args.help) {
      io.stdout.write(HELP);
      return EXIT_OK;
    }
    const hoursText = str(args, 'hours');
    let ttlMs: number | undefined;
    if (hoursText !== undefined) {
      const hours = Number(hoursText);
      if (!Number.isFinite(hours) || hours <= 0 || hours > 24 * 30) throw new UsageError('invite: --hours must be a number of hours from 0 to 720');
      ttlMs = Math.round(hours * 3600_000);
    }
    const { runAdminOperation, loadConfig } = await loadAdmin('invite');
    const config = loadConfig({ env: io.env, cwd: io.cwd });
    const invite = await runAdminOperation(config, { op: 'invite', email: args.positionals[0], admin: flag(args, 'admin'), ...(ttlMs ? { ttlMs } : {}) });
    io.stdout.write(`${invite.url}\n`);
    io.stderr.write(`countersign: one-time invite for ${invite.email}${invite.admin ? ' (admin)' : ''}, valid until ${invite.expiresAt}\n`);
    return EXIT_OK;
  },
};

export const command = inviteCommand;

/** Who a CLI request is from, for the inbox ("cli:<login>"). */
export function cliRequester(env: NodeJS.ProcessEnv): string {
  let login = env.USER || env.LOGNAME || '';
  if (!login) {
    try {
      login = userInfo().username;
    } catch {
      login = 'unknown';
    }
  }
  return `cli:${login}`;
}
