import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../lib/auth/rate-limit';

/** What the route wrapper does: ask, and count only what goes ahead. */
function attempt(rl: ReturnType<typeof createRateLimiter>, key: string, now: number): boolean {
  if (!rl.allows(key, now)) return false;
  rl.take(key, now);
  return true;
}

describe('rate limiter', () => {
  it('allows `limit` requests per window per key, then refuses until the window ends', () => {
    const rl = createRateLimiter({ limit: 3, windowMs: 1000 });
    const t = 10_000;
    expect([1, 2, 3, 4].map(() => attempt(rl, 'a', t))).toEqual([true, true, true, false]);
    expect(attempt(rl, 'b', t)).toBe(true);
    expect(rl.retryAfterSeconds('a', t + 200)).toBe(1);
    expect(rl.retryAfterSeconds('b', t + 200)).toBe(0);
    expect(attempt(rl, 'a', t + 999)).toBe(false);
    expect(attempt(rl, 'a', t + 1000)).toBe(true);
  });

  it('Retry-After is when a request is let through again, however often the client was refused meanwhile', () => {
    const rl = createRateLimiter({ limit: 2, windowMs: 60_000 });
    attempt(rl, 'a', 0);
    attempt(rl, 'a', 0);
    for (let t = 1000; t < 59_000; t += 1000) expect(attempt(rl, 'a', t)).toBe(false);
    expect(rl.retryAfterSeconds('a', 58_500)).toBe(2);
    expect(attempt(rl, 'a', 59_999)).toBe(false);
    expect(attempt(rl, 'a', 60_000)).toBe(true);
  });

  it('keeps memory bounded under many distinct keys', () => {
    const rl = createRateLimiter({ limit: 1, windowMs: 60_000, maxKeys: 100 });
    for (let i = 0; i < 1000; i++) attempt(rl, `k${i}`, 0);
    // The oldest keys were dropped: k0 is allowed again, the latest key is still counted.
    expect(attempt(rl, 'k0', 1)).toBe(true);
    expect(attempt(rl, 'k999', 1)).toBe(false);
  });
});
