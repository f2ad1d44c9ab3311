import type { CliIO } from '../io';

/** One `countersign <name>` subcommand. run() handles its own --help and returns the exit code; it may throw (main reports). */
export interface Command {
  name: string;
  run(argv: string[], io: CliIO): Promise<number>;
}

/**
 * What `countersign --help` needs to know of a command without loading it: its module (and
 * everything under it: the gate, git, the store for admin commands) is imported only when the
 * command runs, so `--help` and a bot's `verify` pay for nothing else.
 */
export interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<Command>;
}
