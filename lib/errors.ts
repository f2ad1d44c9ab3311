/**
 * Every error a user can meet carries a stable code and a message that says what to do.
 * The CLI prints `countersign: <message>` for these and never a stack trace; anything
 * else escaping is a bug.
 */
export type CountersignErrorCode =
  | 'bad-input'
  | 'bad-signature'
  | 'bad-key'
  | 'unsupported-algorithm'
  | 'bad-allowed-signers'
  | 'bad-policy'
  | 'bad-note-line'
  | 'bad-statement'
  | 'unknown-commit'
  | 'git-failed'
  | 'push-failed'
  | 'tool-failed'
  | 'not-found'
  | 'forbidden'
  | 'conflict';

export class CountersignError extends Error {
  readonly code: CountersignErrorCode;
  constructor(code: CountersignErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CountersignError';
    this.code = code;
  }
}

export function isCountersignError(e: unknown): e is CountersignError {
  return e instanceof CountersignError;
}
