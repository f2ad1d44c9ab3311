/**
 * A short outage of the remote delays publishing by about one retry interval, however many
 * approvals were saved during it: the publisher backs off per outage of a repository's remote,
 * not per approval, and a fetch that reaches the remote again publishes at once.
 */
import { rename } from 'node:fs/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { getReview } from '../../lib/server/review';
import { Publisher } from '../../lib/server/publisher';
import type { RepoHandle } from '../../lib/server/repos';
import type { PublishResult } from '../../lib/notes/store';
import { approve, enroll, gitIn, remoteNoteLines, startHarness, type Enrolled, type Harness } from './app-harness';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(f: () => Promise<T>, ok: (v: T) => boolean, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (ok(v) || Date.now() > end) return v;
    await sleep(25);
  }
}

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** The app harness, with a publisher that retries after `retryMs`, doubling up to `maxRetryMs`. */
const harness = (retryMs: number, maxRetryMs: number): Promise<Harness> => startHarness({ retryMs, maxRetryMs });

async function remoteLineCount(remote: string, commits: string[]): Promise<number> {
  let n = 0;
  for (const c of commits) n += (await remoteNoteLines(remote, c)).length;
  return n;
}

describe('an outage of the remote', () => {
  it('20 approvals saved during an outage are published within one capped retry interval of the remote coming back', async () => {
    // Scaled down from 10 s doubling up to 60 s: 100 ms doubling up to 800 ms.
    const RETRY = 100;
    const MAX = 800;
    h = await harness(RETRY, MAX);
    const reviewers: Enrolled[] = [];
    for (const who of ['ann', 'ben', 'cat', 'dan']) reviewers.push(await enroll(h.app, `${who}@example.org`));
    const commits = h.commits.slice(-5);

    const hidden = `${h.remote}.away`;
    await rename(h.remote, hidden);
    for (const r of reviewers) {
      for (const c of commits) {
        const { result } = await approve(h.app, r.user, r.passkey, c);
        expect(result.status).toBe('saved');
      }
    }
    // Let the outage outlast a few retries, as a 20 s outage outlasts 10 s and 20 s ones.
    await sleep(4 * MAX);
    // The next retry is never further away than the cap, whatever the number of failed approvals.
    expect(h.app.publisher.nextRetryInMs('demo')).not.toBeNull();
    expect(h.app.publisher.nextRetryInMs('demo')!).toBeLessThanOrEqual(MAX);

    await rename(hidden, h.remote);
    const back = Date.now();
    const n = await waitFor(() => remoteLineCount(h!.remote, commits), (k) => k === 20, 10 * MAX);
    const waited = Date.now() - back;
    expect(n).toBe(20);
    // Nothing fetched meanwhile (no probe): the retry loop alone published, within its cap
    // (plus the time to push and to see the lines on the remote).
    expect(waited).toBeLessThan(MAX + 1500);
    await waitFor(async () => h!.app.publisher.pending('demo'), (p) => !p, 5000);
    expect(h.app.publisher.pending('demo')).toBe(false);
    expect(h.app.publisher.nextRetryInMs('demo')).toBeNull();
  });

  it('a fetch that reaches the remote again publishes at once instead of waiting for the retry', async () => {
    // A retry a minute away: only the probe can publish within the test.
    h = await harness(60_000, 60_000);
    const ann = await enroll(h.app, 'ann@example.org');
    const commit = h.commits[h.commits.length - 1];
    const hidden = `${h.remote}.away`;
    await rename(h.remote, hidden);
    const { result } = await approve(h.app, ann.user, ann.passkey, commit);
    expect(result.status).toBe('saved');
    expect(h.app.publisher.nextRetryInMs('demo')!).toBeGreaterThan(30_000);
    await sleep(2100); // the probe publishes at most every 2 s
    await rename(hidden, h.remote);

    // Anyone opening a review makes the server fetch (at most every few seconds): that is the probe.
    await h.app.repo('demo').refresh({ maxAgeMs: 0 });
    const lines = await waitFor(() => remoteNoteLines(h!.remote, commit), (l) => l.length > 0, 5000);
    expect(lines).toEqual([result.line]);
    await waitFor(async () => h!.app.publisher.pending('demo'), (p) => !p, 5000);
    expect((await getReview(h.app, 'demo', commit, ann.user)).pendingPublish).toBe(false);
  });
});

describe('the retry schedule (fake clock)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A repository whose pushes fail until `up` is set; counts pushes. */
  function fakeRepo() {
    const state = { up: false, pushes: 0 };
    const failed: PublishResult = { pushed: false, attempts: 1, merges: 0, error: 'cannot push to origin: connection refused' };
    const repo = {
      config: { name: 'demo', remote: '/nowhere' },
      outbox: () => ({
        flush: async () => {
          state.pushes++;
          return state.up ? { pushed: true, attempts: 1, merges: 0 } : failed;
        },
      }),
      onRemoteReachable: () => {},
    } as unknown as RepoHandle;
    return { state, repo, failed };
  }

  it('is 10 s, 20 s, 40 s, then every 60 s, however many approvals failed meanwhile, and starts over after a success', async () => {
    vi.useFakeTimers();
    const { state, repo, failed } = fakeRepo();
    const p = new Publisher(new Map([['demo', repo]]));
    // 20 approvals saved during the outage, each with its own failed push.
    for (let i = 0; i < 20; i++) p.noteAdded('demo', 'refs/notes/countersign', Promise.resolve(failed));
    await vi.advanceTimersByTimeAsync(0);
    const retries: number[] = [];
    let last = Date.now();
    for (let i = 0; i < 6; i++) {
      const before = state.pushes;
      const wait = p.nextRetryInMs('demo')!;
      await vi.advanceTimersByTimeAsync(wait);
      expect(state.pushes).toBe(before + 1);
      retries.push((Date.now() - last) / 1000);
      last = Date.now();
    }
    expect(retries).toEqual([10, 20, 40, 60, 60, 60]);

    state.up = true;
    await vi.advanceTimersByTimeAsync(p.nextRetryInMs('demo')!);
    expect(p.pending('demo')).toBe(false);
    expect(p.nextRetryInMs('demo')).toBeNull();
    // A later outage starts again at 10 s.
    state.up = false;
    p.noteAdded('demo', 'refs/notes/countersign', Promise.resolve(failed));
    await vi.advanceTimersByTimeAsync(0);
    expect(p.nextRetryInMs('demo')).toBe(10_000);
    await p.stop();
  });
});
