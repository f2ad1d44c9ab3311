import { CountersignError } from '../../lib/errors';

/**
 * The CountersignError `f` throws, for tests that go on to check its code and message.
 * Any other error propagates unchanged; returning normally fails the test.
 */
export function errorOf(f: () => unknown): CountersignError {
  try {
    f();
  } catch (e) {
    if (e instanceof CountersignError) return e;
    throw e;
  }
  throw new Error('did not throw');
}

/**
 * The CountersignError promise `p` rejects with, for tests of async functions.
 * Any other rejection propagates unchanged; resolving fails the test.
 */
export async function rejectionOf(p: Promise<unknown>): Promise<CountersignError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof CountersignError) return e;
    throw e;
  }
  throw new Error('did not reject');
}
