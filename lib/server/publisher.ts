import { DEFAULT_NOTES_REF } from '../config/config';
import type { PublishResult } from '../notes/store';
import type { RepoHandle } from './repos';

/**
 * Keeps every repository's local notes published. Approvals are written to the server's clone
 * first (durable) and pushed at once; when the remote is down the lines wait there and this
 * loop pushes them later — on start, then after 10 s, doubling up to 5 min while it keeps failing.
 */
export const RETRY_MS = 10_000;
export const MAX_RETRY_MS = 5 * 60_000;

interface RepoState {
  /** Local lines exist that no successful push has covered yet. */
  pending: boolean;
  /** Bumped whenever lines are added; a push covers the adds made before it started. */
  seq: number;
  pushedSeq: number;
  failures: number;
  lastError: string | null;
  timer: NodeJS.Timeout | null;
  notesRef: string;
}

export class Publisher {
  private readonly state = new Map<string, RepoState>();
  private stopped = false;
  private readonly retryMs: number;
  private readonly log: (l: string) => void;

  constructor(
    private readonly repos: Map<string, RepoHandle>,
    opts: { retryMs?: number; log?: (l: string) => void } = {},
  ) {
    this.retryMs = opts.retryMs ?? RETRY_MS;
    this.log = opts.log ?? (() => {});
    for (const [name, repo] of repos) {
      this.state.set(name, {
        // Unknown after a restart: something may have been saved and never pushed.
        pending: true,
        seq: 1,
        pushedSeq: 0,
        failures: 0,
        lastError: null,
        timer: null,
        notesRef: repo.config.notesRef ?? DEFAULT_NOTES_REF,
      });
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

  pending(repo: string): boolean {
    return this.st(repo).pending;
  }

  lastError(repo: string): string | null {
    return this.st(repo).lastError;
  }

  /** Lines were just added to `notesRef` locally; `published` settles with the push that covers them. */
  noteAdded(repo: string, notesRef: string, published: Promise<PublishResult>): void {
    const s = this.st(repo);
    s.notesRef = notesRef;
    const seq = ++s.seq;
    s.pending = true;
    void published.then((r) => this.settle(repo, seq, r));
  }

  /** Pushes now (outbox flush) and records the outcome. */
  async publish(repo: string): Promise<PublishResult> {
    const s = this.st(repo);
    const seq = s.seq;
    const handle = this.repos.get(repo)!;
    let result: PublishResult;
    try {
      result = await handle.outbox(s.notesRef).flush();
    } catch (e) {
      result = { pushed: false, attempts: 0, merges: 0, error: (e as Error).message };
    }
    this.settle(repo, seq, result);
    return result;
  }

  private settle(repo: string, seq: number, r: PublishResult): void {
    const s = this.st(repo);
    if (r.pushed) {
      s.pushedSeq = Math.max(s.pushedSeq, seq);
      s.pending = s.seq > s.pushedSeq;
      if (s.failures > 0) this.log(`countersign: notes of "${repo}" published after ${s.failures} failed attempt(s)`);
      s.failures = 0;
      s.lastError = null;
      if (s.timer) {
        clearTimeout(s.timer);
        s.timer = null;
      }
    } else {
      s.failures++;
      s.lastError = r.error ?? 'push failed';
      if (s.failures === 1) this.log(`countersign: notes of "${repo}" saved locally, not published yet: ${s.lastError}`);
      this.schedule(repo);
    }
  }

  private schedule(repo: string): void {
    const s = this.st(repo);
    if (this.stopped || s.timer) return;
    const delay = Math.min(this.retryMs * 2 ** Math.max(0, s.failures - 1), Math.max(MAX_RETRY_MS, this.retryMs));
    s.timer = setTimeout(() => {
      s.timer = null;
      if (!this.stopped) void this.publish(repo);
    }, delay);
    s.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const s of this.state.values()) {
      if (s.timer) clearTimeout(s.timer);
      s.timer = null;
    }
  }

  private st(repo: string): RepoState {
    const s = this.state.get(repo);
    if (!s) throw new Error(`unknown repository ${repo}`);
    return s;
  }
}
