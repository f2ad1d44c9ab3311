import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CountersignError } from '../errors';

/** A usage mistake: printed as one line with a pointer to --help, exit 2. */
export class UsageError extends CountersignError {
  constructor(message: string) {
    super('bad-input', message);
    this.name = 'UsageError';
  }
}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  help: boolean;
}

/**
 * Strict option parsing for one command: unknown options, missing values and stray
 * positionals are usage errors naming the culprit, never silently ignored.
 */
export function parseCommandArgs(command: string, argv: string[], options: OptionSpec, positionals: { min: number; max: number }): Parsed {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new UsageError(`${command}: ${describeParseError(e as Error & { code?: string })} (see countersign ${command} --help)`);
  }
  const values = parsed.values as Parsed['values'];
  const help = values.help === true;
  if (!help) {
    const n = parsed.positionals.length;
    if (n < positionals.min) throw new UsageError(`${command}: missing argument (see countersign ${command} --help)`);
    if (n > positionals.max) {
      throw new UsageError(`${command}: unexpected argument ${JSON.stringify(parsed.positionals[positionals.max])} (see countersign ${command} --help)`);
    }
  }
  return { values, positionals: parsed.positionals, help };
}

function describeParseError(e: Error & { code?: string }): string {
  // node's messages are multi-line and mention "args"; keep the first sentence and name the option.
  const first = e.message.split('\n')[0].replace(/\. To specify a positional argument.*$/, '');
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const m = /Unknown option '([^']+)'/.exec(first);
    return m ? `unknown option ${m[1]}` : first;
  }
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const m = /Option '([^']+)'/.exec(first);
    const name = m ? m[1].split(',')[0].replace(/ <value>$/, '') : 'an option';
    if (/argument missing/.test(first)) return `option ${name} needs a value`;
    if (/does not take an argument/.test(first)) return `option ${name} takes no value`;
    if (/ambiguous/.test(first)) return `option ${name} needs a value (to pass one starting with "-", write ${name}=VALUE)`;
    return first;
  }
  return first;
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function requireStr(command: string, p: Parsed, name: string, flag: string): string {
  const v = str(p, name);
  if (v === undefined || v === '') throw new UsageError(`${command}: ${flag} is required (see countersign ${command} --help)`);
  return v;
}

export function list(p: Parsed, name: string): string[] {
  const v = p.values[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

export function flag(p: Parsed, name: string): boolean {
  return p.values[name] === true;
}

/** A whole number option such as --threshold. */
export function positiveInt(command: string, value: string | undefined, flagName: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9][0-9]{0,3}$/.test(value)) throw new UsageError(`${command}: ${flagName} must be a whole number from 1 to 9999 (got ${JSON.stringify(value)})`);
  return Number(value);
}
