import { describe, expect, it } from 'vitest';
import { CountersignError, isCountersignError } from './errors';

describe('isCountersignError', () => {
  it('recognises our errors and nothing else', () => {
    expect(isCountersignError(new CountersignError('bad-input', 'x'))).toBe(true);
    expect(isCountersignError(new Error('x'))).toBe(false);
    expect(isCountersignError({ name: 'CountersignError', code: 'bad-input' })).toBe(false);
    expect(isCountersignError(null)).toBe(false);
  });

  it('recognises an error made by another bundled copy of the class', () => {
    // What a second copy of lib/errors.ts (another Next.js bundle) produces: same brand, different class.
    const brand = Symbol.for('countersign.error');
    class OtherCopy extends Error {
      readonly code = 'unknown-commit';
      readonly [brand] = true;
    }
    const e = new OtherCopy('no such commit');
    expect(e instanceof CountersignError).toBe(false);
    expect(isCountersignError(e)).toBe(true);
  });
});
