import { isCountersignError, type CountersignErrorCode } from '../errors';

/** Exit codes: 0 all good; 1 something was checked and did not pass (or a tool/network step failed); 2 usage or bad input. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** Errors that mean "what you gave me is wrong": the caller should fix the input, retrying will not help. */
const INPUT_ERRORS: ReadonlySet<CountersignErrorCode> = new Set<CountersignErrorCode>([
  'bad-input',
  'bad-signature',
  'bad-key',
  'unsupported-algorithm',
  'bad-allowed-signers',
  'bad-policy',
  'bad-note-line',
  'bad-statement',
  'unknown-commit',
  'not-found',
]);

export function exitCodeFor(e: unknown): number {
  return isCountersignError(e) && INPUT_ERRORS.has(e.code) ? EXIT_USAGE : EXIT_FAILED;
}

/** One line, whatever the error: messages from git or ssh-keygen can span several. */
export function oneLine(message: string): string {
  const flat = message
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .join('; ');
  return flat.length > 1000 ? flat.slice(0, 997) + '...' : flat;
}

export function errorLine(e: unknown): string {
  if (isCountersignError(e)) return `countersign: ${oneLine(e.message)}`;
  const msg = e instanceof Error ? e.message : String(e);
  return `countersign: internal error: ${oneLine(msg) || 'unknown failure'} (this is a bug; set COUNTERSIGN_DEBUG=1 for details)`;
}
