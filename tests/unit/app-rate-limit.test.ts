import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../lib/auth/rate-limit';

describe('rate limiter', () => {
  it('allows `limit` requests per window per key, then refuses until the window ends', () => {
    const rl = createRateLimiter({ limit: 3, windowMs: 1000 });
    const t = 10_000;
    expect([1, 2, 3, 4].map(() => rl.take('a', t))).toEqual([true, true, true, false]);
    expect(rl.take('b', t)).toBe(true);
    expect(rl.retryAfterSeconds('a', t + 200)).toBe(1);
    expect(rl.take('a', t + 999)).toBe(false);
    expect(rl.take('a', t + 1000)).toBe(true);
  });

  it('keeps memory bounded under many distinct keys', () => {
    const rl = createRateLimiter({ limit: 1, windowMs: 60_000, maxKeys: 100 });
    for (let i = 0; i < 1000; i++) rl.take(`k${i}`, 0);
    // The oldest keys were dropped: k0 is allowed again, the latest key is still counted.
    expect(rl.take('k0', 1)).toBe(true);
    expect(rl.take('k999', 1)).toBe(false);
  });
});
