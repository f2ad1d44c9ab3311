import { readFileSync } from 'node:fs';
import { commands, findCommand } from './commands/index';
import { EXIT_OK, EXIT_USAGE, errorLine, exitCodeFor } from './exit';
import { processIO, type CliIO } from './io';

function overview(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'usage: countersign <command> [options]',
    '',
    'Approve git commits with signatures kept in git notes, and check them with stock OpenSSH.',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `countersign <command> --help` for the options of one command.',
    'Exit status: 0 ok, 1 verification failed or a tool/network step failed, 2 usage or bad input.',
    '',
  ].join('\n');
}

/** Set by the one-file build (scripts/build-cli.mjs), which has no package.json beside it. */
declare const COUNTERSIGN_BUNDLE_VERSION: string | undefined;

function version(): string {
  if (typeof COUNTERSIGN_BUNDLE_VERSION === 'string') return COUNTERSIGN_BUNDLE_VERSION;
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    return String(pkg.version);
  } catch {
    return 'unknown';
  }
}

/**
 * Runs one CLI invocation and returns the exit code. Nothing escapes: every failure becomes
 * one `countersign: <message>` line on stderr (a stack trace only with COUNTERSIGN_DEBUG=1).
 */
export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  try {
    const [name, ...rest] = argv;
    if (name === undefined) {
      io.stderr.write(overview());
      return EXIT_USAGE;
    }
    if (name === '--help' || name === '-h') {
      io.stdout.write(overview());
      return EXIT_OK;
    }
    if (name === 'help') {
      if (rest.length === 0) {
        io.stdout.write(overview());
        return EXIT_OK;
      }
      return await main([rest[0], '--help'], io);
    }
    if (name === '--version' || name === '-V') {
      io.stdout.write(`countersign ${version()}\n`);
      return EXIT_OK;
    }
    const command = findCommand(name);
    if (!command) {
      const hint = name.startsWith('-') ? 'options go after the command' : `commands: ${commands.map((c) => c.name).join(', ')}`;
      io.stderr.write(`countersign: unknown command ${JSON.stringify(name)} (${hint}; see countersign --help)\n`);
      return EXIT_USAGE;
    }
    return await (await command.load()).run(rest, io);
  } catch (e) {
    io.stderr.write(errorLine(e) + '\n');
    if (io.env.COUNTERSIGN_DEBUG && e instanceof Error && e.stack) io.stderr.write(e.stack + '\n');
    return exitCodeFor(e);
  }
}
