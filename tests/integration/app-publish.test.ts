import { rename } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp } from '../../lib/server/app';
import { getReview } from '../../lib/server/review';
import { readNoteLines } from '../../lib/notes/store';
import { approve, enroll, remoteNoteLines, startHarness, type Enrolled, type Harness } from './app-harness';

let h: Harness;
let bob: Enrolled;
beforeAll(async () => {
  h = await startHarness({ retryMs: 150 });
  bob = await enroll(h.app, 'bob@example.org');
});
afterAll(async () => {
  await h?.close();
});

async function waitFor<T>(f: () => Promise<T>, ok: (v: T) => boolean, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('when the remote is down', () => {
  it('an approval is saved locally, then published by the retry loop once the remote is back', async () => {
    const commit = h.commits[4];
    const hidden = h.remote + '.away';
    await rename(h.remote, hidden);
    let line: string;
    try {
      const { result } = await approve(h.app, bob.user, bob.passkey, commit);
      expect(result.status).toBe('saved');
      expect(result.warning).toMatch(/will be published automatically/);
      line = result.line;
      // Durable in the server's clone, counted in what the review screen shows.
      expect(await readNoteLines(h.app.repo('demo').dir, 'refs/notes/countersign', commit)).toEqual([line]);
      const review = await getReview(h.app, 'demo', commit, bob.user);
      expect(review.pendingPublish).toBe(true);
      expect(review.viewerHasSigned).toBe(true);
    } finally {
      await rename(hidden, h.remote);
    }
    const lines = await waitFor(() => remoteNoteLines(h.remote, commit), (l) => l.length > 0);
    expect(lines).toEqual([line]);
    await waitFor(async () => h.app.publisher.pending('demo'), (p) => p === false);
    expect((await getReview(h.app, 'demo', commit, bob.user)).pendingPublish).toBe(false);
  });

  it('lines saved before a restart are published when the server starts again', async () => {
    const commit = h.commits[3];
    const hidden = h.remote + '.away';
    await rename(h.remote, hidden);
    const { result } = await approve(h.app, bob.user, bob.passkey, commit);
    expect(result.status).toBe('saved');
    await h.app.close();
    await rename(hidden, h.remote);
    expect(await remoteNoteLines(h.remote, commit)).toEqual([]);
    h.app = await openApp(h.config, { log: () => {}, retryMs: 150 });
    const lines = await waitFor(() => remoteNoteLines(h.remote, commit), (l) => l.length > 0);
    expect(lines).toEqual([result.line]);
  });
});
