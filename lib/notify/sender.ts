import webpush from 'web-push';
import type { Queryable } from '../store/db';
import { encodePayload, topicFor, type PushMessage } from './payload';
import { deleteSubscription, markSent, type PushSubscriptionRow } from './store';
import type { VapidKeys } from './vapid';

export interface SenderOptions {
  /** First retry delay (doubles each time, capped by maxRetryMs) when the push service gives no Retry-After. */
  retryBaseMs?: number;
  maxRetryMs?: number;
  /** Attempts per notification and subscription, the first included. */
  maxAttempts?: number;
  /** A Retry-After longer than this is cut to it (a push service must not park us for a day). */
  maxRetryAfterMs?: number;
  /** How long a push service may take to answer. */
  timeoutMs?: number;
  log?: (line: string) => void;
}

export type Outcome = 'sent' | 'gone' | 'refused' | 'gave-up';

/**
 * Sends Web Push messages (RFC 8030, aes128gcm RFC 8291, VAPID RFC 8292) without anyone waiting:
 * `send` returns at once. A push service that answers 404/410 has dropped the subscription, so
 * it is deleted; 429 and 5xx (and network errors) are retried with backoff, honouring
 * Retry-After; any other answer is logged and the message dropped (it would fail the same way).
 * Retries live in memory: a notification is a hint, the record is the notes and the inbox.
 */
export class PushSender {
  private readonly pending = new Set<Promise<Outcome>>();
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  private stopped = false;
  retryBaseMs: number;
  maxRetryMs: number;
  maxAttempts: number;
  maxRetryAfterMs: number;
  timeoutMs: number;
  private readonly log: (line: string) => void;

  constructor(
    private readonly db: Queryable,
    private readonly keys: () => Promise<VapidKeys>,
    private readonly subject: string,
    private readonly publicUrl: string,
    opts: SenderOptions = {},
  ) {
    this.retryBaseMs = opts.retryBaseMs ?? 2000;
    this.maxRetryMs = opts.maxRetryMs ?? 5 * 60_000;
    this.maxAttempts = opts.maxAttempts ?? 6;
    this.maxRetryAfterMs = opts.maxRetryAfterMs ?? 15 * 60_000;
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    this.log = opts.log ?? (() => {});
  }

  /** Queues one message for one subscription; the promise (also tracked by idle()) tells how it ended. */
  send(sub: PushSubscriptionRow, msg: PushMessage): Promise<Outcome> {
    const p = this.deliver(sub, msg).catch((e) => {
      this.log(`countersign: push to ${originOf(sub.endpoint)} failed: ${(e as Error).message}`);
      return 'refused' as Outcome;
    });
    this.pending.add(p);
    p.finally(() => this.pending.delete(p));
    return p;
  }

  /** Resolves when nothing is being sent or waiting for a retry (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  stop(): void {
    this.stopped = true;
    for (const [t, wake] of this.timers) {
      clearTimeout(t);
      wake(); // the waiting delivery sees `stopped` and gives up
    }
    this.timers.clear();
  }

  private async deliver(sub: PushSubscriptionRow, msg: PushMessage): Promise<Outcome> {
    for (let attempt = 1; ; attempt++) {
      if (this.stopped) return 'gave-up';
      let status = 0;
      let retryAfter: string | null = null;
      try {
        const res = await this.post(sub, msg);
        status = res.status;
        retryAfter = res.headers.get('retry-after');
        await res.arrayBuffer().catch(() => undefined);
      } catch (e) {
        this.log(`countersign: push to ${originOf(sub.endpoint)}: ${(e as Error).message}`);
      }
      if (status >= 200 && status < 300) {
        await markSent(this.db, sub.id).catch(() => {});
        return 'sent';
      }
      if (status === 404 || status === 410) {
        // The browser unsubscribed, or the push service expired the subscription: never again.
        await deleteSubscription(this.db, sub.id, sub.endpoint);
        return 'gone';
      }
      const transient = status === 0 || status === 429 || status >= 500;
      if (!transient) {
        this.log(`countersign: push to ${originOf(sub.endpoint)} refused with HTTP ${status}; dropped`);
        return 'refused';
      }
      if (attempt >= this.maxAttempts) {
        this.log(`countersign: push to ${originOf(sub.endpoint)} still failing after ${attempt} attempts (HTTP ${status || 'no answer'}); dropped`);
        return 'gave-up';
      }
      await this.sleep(this.delayFor(attempt, retryAfter));
    }
  }

  /** Retry-After (seconds or an HTTP date) when given, capped; else exponential backoff. */
  delayFor(attempt: number, retryAfter: string | null, now = Date.now()): number {
    const backoff = Math.min(this.retryBaseMs * 2 ** (attempt - 1), this.maxRetryMs);
    const asked = parseRetryAfter(retryAfter, now);
    return asked === null ? backoff : Math.min(Math.max(asked, 0), this.maxRetryAfterMs);
  }

  private async post(sub: PushSubscriptionRow, msg: PushMessage): Promise<Response> {
    const keys = await this.keys();
    const payload = encodePayload(msg, sub.endpoint, this.publicUrl);
    const details = webpush.generateRequestDetails({ endpoint: sub.endpoint, keys: { p256dh: sub.p256dh, auth: sub.auth } }, payload, {
      vapidDetails: { subject: this.subject, publicKey: keys.publicKey, privateKey: keys.privateKey },
      TTL: 24 * 60 * 60,
      urgency: 'high',
      topic: topicFor(msg.tag),
      contentEncoding: 'aes128gcm',
    });
    return fetch(details.endpoint, {
      method: 'POST',
      headers: details.headers as Record<string, string>,
      body: new Uint8Array(details.body as Buffer),
      redirect: 'error',
      signal: AbortSignal.timeout(this.timeoutMs),
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      t.unref();
      this.timers.set(t, resolve);
    });
  }
}

export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : at - now;
}

function originOf(endpoint: string): string {
  try {
    return new URL(endpoint).origin; // the path names the subscription: not for logs
  } catch {
    return '(bad endpoint)';
  }
}
