import type { ForgeConfig } from '../config/forge';
import type { Db } from '../store/db';
import { canPostStatuses, postCommitStatus } from './client';
import { claimDue, markFailed, markPosted, nextDue, type OutboxRow } from './outbox';

export interface SenderOptions {
  /** First retry delay after a failure, doubled on each further failure up to maxRetryMs. */
  retryMs?: number;
  maxRetryMs?: number;
  /** How long a claimed status is reserved for this sender (another instance takes it after). */
  leaseMs?: number;
  /** Look at the outbox at least this often even when nothing woke the sender (other instances). */
  idleMs?: number;
  log?: (line: string) => void;
}

export const DEFAULT_RETRY_MS = 5_000;
export const DEFAULT_MAX_RETRY_MS = 5 * 60_000;

/** The delay before attempt n+1 after n failures: retryMs, doubling, capped. */
export function backoffMs(failures: number, retryMs: number, maxRetryMs: number): number {
  return Math.min(maxRetryMs, retryMs * 2 ** Math.max(0, Math.min(failures - 1, 30)));
}

/**
 * Sends the outbox's due statuses to the forges, one pass at a time: woken when a status is wanted,
 * and by a timer set for the next retry. A failure is retried with backoff; nothing is dropped.
 */
export class StatusSender {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private readonly retryMs: number;
  private readonly maxRetryMs: number;
  private readonly leaseMs: number;
  private readonly idleMs: number;
  private readonly log: (l: string) => void;

  constructor(
    private readonly db: Db,
    private readonly forgeOf: (repo: string) => ForgeConfig | undefined,
    opts: SenderOptions = {},
  ) {
    this.retryMs = opts.retryMs ?? DEFAULT_RETRY_MS;
    this.maxRetryMs = opts.maxRetryMs ?? DEFAULT_MAX_RETRY_MS;
    this.leaseMs = opts.leaseMs ?? 60_000;
    this.idleMs = opts.idleMs ?? 60_000;
    this.log = opts.log ?? (() => {});
  }

  /** Run a pass now (or right after the one running). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.running = this.pass()
      .catch((e) => this.log(`countersign: forge statuses: ${(e as Error).message}`))
      .finally(() => {
        this.running = null;
        if (this.stopped) return;
        if (this.again) {
          this.again = false;
          this.wake();
        } else {
          this.schedule().catch(() => this.arm(this.idleMs));
        }
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Resolves when no pass is running (tests). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private arm(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.wake(), Math.max(0, ms));
    this.timer.unref();
  }

  private async schedule(): Promise<void> {
    const due = await nextDue(this.db);
    this.arm(due ? Math.min(this.idleMs, due.getTime() - Date.now()) : this.idleMs);
  }

  private async pass(): Promise<void> {
    for (;;) {
      const rows = await claimDue(this.db, this.leaseMs);
      if (rows.length === 0 || this.stopped) return;
      await Promise.all(rows.map((r) => this.send(r)));
    }
  }

  private async send(row: OutboxRow): Promise<void> {
    const forge = this.forgeOf(row.repo);
    if (!forge || !canPostStatuses(forge)) {
      // Unconfigured since (or no token): kept, and tried again if a restart brings the configuration.
      await markFailed(this.db, row.repo, row.sha, row.version, this.maxRetryMs, 'no forge token configured for this repository');
      return;
    }
    try {
      await postCommitStatus(forge, row);
      await markPosted(this.db, row.repo, row.sha, row.version);
    } catch (e) {
      const delay = backoffMs(row.attempts + 1, this.retryMs, this.maxRetryMs);
      const msg = describe(e);
      this.log(`countersign: commit status for ${row.repo} ${row.sha.slice(0, 12)} not posted (${msg}); retrying in ${Math.round(delay / 1000)} s`);
      await markFailed(this.db, row.repo, row.sha, row.version, delay, msg);
    }
  }
}

function describe(e: unknown): string {
  const err = e as { status?: number; message?: string; name?: string };
  if (typeof err.status === 'number' && err.status > 0) return `HTTP ${err.status}: ${String(err.message ?? '').slice(0, 200)}`;
  return String(err.message ?? err.name ?? e).slice(0, 200);
}
