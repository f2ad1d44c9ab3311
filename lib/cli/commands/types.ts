import type { CliIO } from '../io';

/** One `countersign <name>` subcommand. run() handles its own --help and returns the exit code; it may throw (main reports). */
export interface Command {
  name: string;
  summary: string;
  run(argv: string[], io: CliIO): Promise<number>;
}
