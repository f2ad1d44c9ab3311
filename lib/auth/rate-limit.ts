/**
 * Fixed-window rate limiting for the authentication endpoints, in memory, per process. With
 * several app instances each has its own budget (N instances allow N× the rate): acceptable for
 * slowing down guessing, which is all it is for; a shared limiter would live in the database.
 */
export interface RateLimiter {
  /** true when the request may proceed. */
  take(key: string, now?: number): boolean;
  retryAfterSeconds(key: string, now?: number): number;
}

export function createRateLimiter(opts: { limit: number; windowMs: number; maxKeys?: number }): RateLimiter {
  const windows = new Map<string, { start: number; count: number }>();
  const maxKeys = opts.maxKeys ?? 10_000;
  return {
    take(key, now = Date.now()) {
      let w = windows.get(key);
      if (!w || now - w.start >= opts.windowMs) {
        if (windows.size >= maxKeys) {
          // Drop expired windows; if still full, the oldest. Memory stays bounded under a flood of keys.
          for (const [k, v] of windows) if (now - v.start >= opts.windowMs) windows.delete(k);
          if (windows.size >= maxKeys) windows.delete(windows.keys().next().value as string);
        }
        w = { start: now, count: 0 };
        windows.set(key, w);
      }
      w.count++;
      return w.count <= opts.limit;
    },
    retryAfterSeconds(key, now = Date.now()) {
      const w = windows.get(key);
      return w ? Math.max(1, Math.ceil((w.start + opts.windowMs - now) / 1000)) : 0;
    },
  };
}
