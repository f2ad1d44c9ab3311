import { describe, expect, it } from 'vitest';
import { CountersignError } from '../../lib/errors';
import { countersignErrorCode } from '../../app/_lib/errors';

describe('recognising Countersign errors across bundles', () => {
  it('reads the code of a real CountersignError', () => {
    expect(countersignErrorCode(new CountersignError('unknown-commit', 'x'))).toBe('unknown-commit');
  });
  it('reads the code of a look-alike from another copy of the class', () => {
    class CountersignErrorCopy extends Error {
      code = 'not-found';
      constructor() {
        super('other bundle');
        this.name = 'CountersignError';
      }
    }
    expect(countersignErrorCode(new CountersignErrorCopy())).toBe('not-found');
  });
  it('ignores other errors and non-errors', () => {
    expect(countersignErrorCode(new Error('boom'))).toBeNull();
    expect(countersignErrorCode(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBeNull();
    expect(countersignErrorCode(null)).toBeNull();
    expect(countersignErrorCode('CountersignError')).toBeNull();
  });
});
