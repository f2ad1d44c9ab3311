import type { Db } from '../store/db';
import { deleteOldWindows, takeSharedWindows } from '../store/rate-limits';

/**
 * Fixed-window rate limiting for the authentication endpoints. In memory for one process (the
 * embedded database allows only one); on PostgreSQL the windows live in the shared database
 * (lib/store/rate-limits.ts), so several instances share one budget: see `authLimits`.
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

// ---------------------------------------------------------------- the authentication endpoints' limits


/** Per client (its address; for approval, the signed-in user) and overall, per endpoint bucket. */
export const PER_CLIENT_LIMIT = { limit: 30, windowMs: 60_000 };
export const OVERALL_LIMIT = { limit: 600, windowMs: 60_000 };

export interface AuthLimits {
  /**
   * Lets a request of `who` to `bucket` through (and counts it), or returns the whole seconds until
   * one will be. The client's own window is checked first and a refused request counts nowhere,
   * so one client's flood spends only its own budget.
   */
  take(bucket: string, who: string, now?: number): Promise<number | null>;
  /** Forgets every window (in memory only; tests). */
  reset(): void;
}

/** One process's limits, in memory. */
export function memoryAuthLimits(): AuthLimits {
  const perClient = createRateLimiter(PER_CLIENT_LIMIT);
  const overall = createRateLimiter(OVERALL_LIMIT);
  return {
    async take(bucket, who, now = Date.now()) {
      const key = `${bucket}:${who}`;
      if (!perClient.allows(key, now)) return perClient.retryAfterSeconds(key, now);
      if (!overall.allows(bucket, now)) return overall.retryAfterSeconds(bucket, now);
      perClient.take(key, now);
      overall.take(bucket, now);
      return null;
    },
    reset() {
      perClient.reset();
      overall.reset();
    },
  };
}

/** Windows older than this are deleted now and then (the longest window is a minute). */
const FORGET_AFTER_MS = 10 * 60_000;

/** The service's limits, in the shared PostgreSQL database: the same budget whichever instance is asked. */
export function sharedAuthLimits(db: Db): AuthLimits {
  let lastCleanup = 0;
  return {
    async take(bucket, who) {
      if (Date.now() - lastCleanup > FORGET_AFTER_MS) {
        lastCleanup = Date.now();
        deleteOldWindows(db, FORGET_AFTER_MS).catch(() => {});
      }
      const waitMs = await takeSharedWindows(db, [
        { key: `${bucket}:${who}`, ...PER_CLIENT_LIMIT },
        { key: bucket, ...OVERALL_LIMIT },
      ]);
      return waitMs === null ? null : Math.max(1, Math.ceil(waitMs / 1000));
    },
    reset() {},
  };
}
