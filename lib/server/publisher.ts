import { DEFAULT_NOTES_REF } from '../config/config';
import type { PublishResult } from '../notes/store';
import type { RepoHandle } from './repos';

/**
 * Keeps every repository's local notes published. Approvals are written to the server's clone
 * first (durable) and pushed at once; when the remote is down the lines wait there and this
 * loop pushes them later: on start, then 10 s after the first failed push, doubling up to 1 min
 * while it keeps failing, and at once when a fetch from the remote succeeds again.
 *
 * The backoff belongs to the outage of a repository's remote, not to the approvals that meet it:
 * approvals saved during an outage each try their own push (cheap, and it is how a short outage
 * ends soonest), but only the retry loop's own failures lengthen the wait. (Counting every
 * approval's failed push once made 20 approvals in a 20 s outage wait 5 minutes.)
 */
export const RETRY_MS = 10_000;
export const MAX_RETRY_MS = 60_000;
/** A successful fetch says the remote is back; it triggers a push at most this often. */
const REACHABLE_PUSH_MIN_INTERVAL_MS = 2_000;

interface RepoState {
  /** Local lines exist that no successful push has covered yet. */
  pending: boolean;
  /** Bumped whenever lines are added; a push covers the adds made before it started. */
  seq: number;
  pushedSeq: number;
  /** The last push failed: an outage (or a refusal) is under way. */
  down: boolean;
  /** Failed pushes since the last success, of any origin (for the log line). */
  failures: number;
  /** Failed pushes of the retry loop itself in this outage: the backoff exponent. */
  retries: number;
  lastError: string | null;
  lastAttemptAt: number;
  timer: NodeJS.Timeout | null;
  /** When the scheduled retry fires (ms since epoch), while one is scheduled. */
  retryAt: number | null;
  notesRef: string;
  /** Waiting for a push that covers `seq` (lib/instances tells other instances after it). */
  waiters: Array<{ seq: number; resolve: (pushed: boolean) => void }>;
  /** The unpublished lines were checked against the database since start (see beforeRepublish). */
  reconciled: boolean;
}

export interface PublisherOptions {
  /** First retry after a failed push (ms); doubles per failed retry. Default RETRY_MS. */
  retryMs?: number;
  /** Longest wait between retries (ms). Default MAX_RETRY_MS. */
  maxRetryMs?: number;
  log?: (l: string) => void;
}

export class Publisher {
  private readonly state = new Map<string, RepoState>();
  private stopped = false;
  private readonly retryMs: number;
  private readonly maxRetryMs: number;
  private readonly log: (l: string) => void;

  constructor(
    private readonly repos: Map<string, RepoHandle>,
    opts: PublisherOptions = {},
  ) {
    this.retryMs = opts.retryMs ?? RETRY_MS;
    this.maxRetryMs = Math.max(opts.maxRetryMs ?? MAX_RETRY_MS, this.retryMs);
    this.log = opts.log ?? (() => {});
    for (const [name, repo] of repos) {
      this.state.set(name, {
        // Unknown after a restart: something may have been saved and never pushed.
        pending: true,
        seq: 1,
        pushedSeq: 0,
        down: false,
        failures: 0,
        retries: 0,
        lastError: null,
        lastAttemptAt: 0,
        timer: null,
        retryAt: null,
        notesRef: repo.config.notesRef ?? DEFAULT_NOTES_REF,
        waiters: [],
        reconciled: false,
      });
      // A fetch that succeeds is a free probe: the remote answers again, so publish now rather
      // than at the next retry (up to a minute away).
      repo.onRemoteReachable?.(() => this.remoteReachable(name));
    }
  }

  /** First publish of everything local (a no-op push when there is nothing new). */
  start(): void {
    for (const [name, repo] of this.repos) {
      void (async () => {
        try {
          const trusted = await repo.trusted();
          this.st(name).notesRef = repo.notesRefFor(trusted);
        } catch {
          /* keep the configured/default ref */
        }
        await this.publish(name);
      })();
    }
  }

  /**
   * Runs before a push of lines that may be old — the first after start, and every retry after a
   * failed push — never before an approval's own push. lib/instances uses it to drop unpublished
   * lines whose approval another instance recorded meanwhile. A failure is logged; the push goes on.
   */
  beforeRepublish(hook: (repo: string, notesRef: string) => Promise<void>): void {
    this.republishHook = hook;
  }

  private republishHook: ((repo: string, notesRef: string) => Promise<void>) | null = null;

  /**
   * Settles true when a push covering everything added so far has succeeded; false if the
   * publisher stops first. (A failed push keeps it waiting for the retry that succeeds.)
   */
  whenPublished(repo: string): Promise<boolean> {
    const s = this.st(repo);
    if (!s.pending) return Promise.resolve(true);
    return new Promise((resolve) => s.waiters.push({ seq: s.seq, resolve }));
  }

  pending(repo: string): boolean {
    return this.st(repo).pending;
  }

  lastError(repo: string): string | null {
    return this.st(repo).lastError;
  }

  /** Milliseconds until the scheduled retry, or null when none is scheduled (diagnostics, tests). */
  nextRetryInMs(repo: string): number | null {
    const at = this.st(repo).retryAt;
    return at === null ? null : Math.max(0, at - Date.now());
  }

  /** Lines were just added to `notesRef` locally; `published` settles with the push that covers them. */
  noteAdded(repo: string, notesRef: string, published: Promise<PublishResult>): void {
    const s = this.st(repo);
    s.notesRef = notesRef;
    const seq = ++s.seq;
    s.pending = true;
    s.lastAttemptAt = Date.now();
    void published.then((r) => this.settle(repo, seq, r, false));
  }

  /** Pushes now (outbox flush) and records the outcome. */
  publish(repo: string): Promise<PublishResult> {
    return this.attempt(repo, false);
  }

  private async attempt(repo: string, fromRetry: boolean): Promise<PublishResult> {
    const s = this.st(repo);
    const seq = s.seq;
    s.lastAttemptAt = Date.now();
    const handle = this.repos.get(repo)!;
    if (this.republishHook && (fromRetry || s.down || !s.reconciled)) {
      try {
        await this.republishHook(repo, s.notesRef);
        s.reconciled = true;
      } catch (e) {
        this.log(`countersign: could not check the unpublished lines of "${repo}" against the database: ${(e as Error).message}`);
      }
    }
    let result: PublishResult;
    try {
      result = await handle.outbox(s.notesRef).flush();
    } catch (e) {
      result = { pushed: false, attempts: 0, merges: 0, error: (e as Error).message };
    }
    this.settle(repo, seq, result, fromRetry);
    return result;
  }

  /** The remote answered a fetch: if lines wait for it, push them now. */
  private remoteReachable(repo: string): void {
    const s = this.state.get(repo);
    if (!s || this.stopped || !s.pending || !s.down) return;
    if (Date.now() - s.lastAttemptAt < REACHABLE_PUSH_MIN_INTERVAL_MS) return;
    void this.attempt(repo, false);
  }

  private settle(repo: string, seq: number, r: PublishResult, fromRetry: boolean): void {
    const s = this.st(repo);
    if (r.pushed) {
      s.pushedSeq = Math.max(s.pushedSeq, seq);
      s.pending = s.seq > s.pushedSeq;
      if (s.failures > 0) this.log(`countersign: notes of "${repo}" published after ${s.failures} failed attempt(s)`);
      s.down = false;
      s.failures = 0;
      s.retries = 0;
      s.lastError = null;
      if (s.timer) clearTimeout(s.timer);
      s.timer = null;
      s.retryAt = null;
      const done = s.waiters.filter((w) => w.seq <= s.pushedSeq);
      s.waiters = s.waiters.filter((w) => w.seq > s.pushedSeq);
      for (const w of done) w.resolve(true);
      // Lines added while this push ran are covered by their own push; if that one failed, it has
      // scheduled nothing yet (the timer was ours): make sure they are not left waiting.
      if (s.pending) this.schedule(repo);
    } else {
      s.failures++;
      if (fromRetry) s.retries++;
      s.lastError = r.error ?? 'push failed';
      if (!s.down) this.log(`countersign: notes of "${repo}" saved locally, not published yet: ${s.lastError}`);
      s.down = true;
      this.schedule(repo);
    }
  }

  private schedule(repo: string): void {
    const s = this.st(repo);
    if (this.stopped || s.timer) return;
    const delay = Math.min(this.retryMs * 2 ** s.retries, this.maxRetryMs);
    s.retryAt = Date.now() + delay;
    s.timer = setTimeout(() => {
      s.timer = null;
      s.retryAt = null;
      if (!this.stopped) void this.attempt(repo, true);
    }, delay);
    s.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const s of this.state.values()) {
      for (const w of s.waiters.splice(0)) w.resolve(false);
      if (s.timer) clearTimeout(s.timer);
      s.timer = null;
      s.retryAt = null;
    }
  }

  private st(repo: string): RepoState {
    const s = this.state.get(repo);
    if (!s) throw new Error(`unknown repository ${repo}`);
    return s;
  }
}
