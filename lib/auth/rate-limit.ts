/**
 * Fixed-window rate limiting for the authentication endpoints, in memory, per process. With
 * several app instances each has its own budget (N instances allow N× the rate): acceptable for
 * slowing down guessing, which is all it is for; a shared limiter would live in the database.
 *
 * Only requests let through are counted: a refused request spends nothing, so a client that
 * keeps hammering after its 429 does not push its own window (or anyone else's) further out, and
 * `retryAfterSeconds` is exactly when the next request will be let through.
 */
export interface RateLimiter {
  /** Whether a request under this key would be let through now (counts nothing). */
  allows(key: string, now?: number): boolean;
  /** Counts a request under this key; call it only for requests that go ahead. */
  take(key: string, now?: number): void;
  /** Whole seconds until `allows` turns true (0 when it is true now). */
  retryAfterSeconds(key: string, now?: number): number;
  /** Forgets every window. */
  reset(): void;
}

export function createRateLimiter(opts: { limit: number; windowMs: number; maxKeys?: number }): RateLimiter {
  const windows = new Map<string, { start: number; count: number }>();
  const maxKeys = opts.maxKeys ?? 10_000;
  const current = (key: string, now: number) => {
    const w = windows.get(key);
    return w && now - w.start < opts.windowMs ? w : null;
  };
  return {
    allows(key, now = Date.now()) {
      return (current(key, now)?.count ?? 0) < opts.limit;
    },
    take(key, now = Date.now()) {
      let w = current(key, now);
      if (!w) {
        windows.delete(key);
        if (windows.size >= maxKeys) {
          // Drop expired windows; if still full, the oldest. Memory stays bounded under a flood of keys.
          for (const [k, v] of windows) if (now - v.start >= opts.windowMs) windows.delete(k);
          if (windows.size >= maxKeys) windows.delete(windows.keys().next().value as string);
        }
        w = { start: now, count: 0 };
        windows.set(key, w);
      }
      w.count++;
    },
    reset() {
      windows.clear();
    },
    retryAfterSeconds(key, now = Date.now()) {
      const w = current(key, now);
      if (!w || w.count < opts.limit) return 0;
      return Math.max(1, Math.ceil((w.start + opts.windowMs - now) / 1000));
    },
  };
}
