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
  | 'conflict'
  /** The server's clone of a repository is still being made (lib/server/repos.ts): try again soon. */
  | 'repo-cloning';

/**
 * Next.js bundles server code more than once (route handlers, pages, instrumentation), so an error
 * thrown by one bundle's copy of this class fails `instanceof` in another. A registry-wide symbol
 * marks ours whichever copy made it.
 */
const BRAND = Symbol.for('countersign.error');

export class CountersignError extends Error {
  readonly code: CountersignErrorCode;
  readonly [BRAND] = true;
  constructor(code: CountersignErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CountersignError';
    this.code = code;
  }
}

export function isCountersignError(e: unknown): e is CountersignError {
  return e instanceof CountersignError || (typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === true);
}
