/**
 * Unknown commit ids cost the server little: an anonymous request is answered from the server's
 * clone (refreshed at most every few seconds, shared by everyone), and only a signed-in user makes
 * the server look on the remote for a commit its clone lacks — one fetch per id at a time, and
 * a miss is not looked for again for a minute. git processes are counted by lib/git/run.ts.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitProcessStats } from '../../lib/git/run';
import * as review from '../../app/api/repos/[repo]/commits/[commit]/route';
import * as signatures from '../../app/api/repos/[repo]/commits/[commit]/signatures/route';
import { gitIn } from './app-harness';
import { call, enrollViaHttp, startHttpServer, type HttpServer, type HttpUser } from './http-client';

let s: HttpServer;
let admin: HttpUser;
let offBranch: string;

const fetches = () => gitProcessStats.byCommand['git fetch'] ?? 0;
const unknownId = () => randomBytes(20).toString('hex');
const get = (handler: typeof review.GET, commit: string, cookie?: string) => call(handler, { params: { repo: 'demo', commit }, cookie });

beforeAll(async () => {
  s = await startHttpServer();
  admin = await enrollViaHttp(s.firstInviteUrl);
  // A commit on no branch of the remote (like a pull request's head): the clone does not fetch it.
  const tree = (await gitIn(s.remote, 'rev-parse', 'main^{tree}')).trim();
  offBranch = (await gitIn(s.remote, 'commit-tree', tree, '-p', 'main', '-m', 'Proposed change')).trim();
  await gitIn(s.remote, 'update-ref', 'refs/pull/1/head', offBranch);
});
afterAll(async () => {
  await s?.close();
});

describe('anonymous requests for unknown commits', () => {
  it('are 404 from what the clone has: 20 unknown ids start no fetch of their own', async () => {
    const before = fetches();
    const answers = await Promise.all([
      ...Array.from({ length: 10 }, () => get(review.GET, unknownId())),
      ...Array.from({ length: 10 }, () => get(signatures.GET, unknownId())),
    ]);
    for (const a of answers) {
      expect(a.status).toBe(404);
      expect(a.body.error).toMatch(/is not in repository "demo"/);
    }
    // At most the clone's one shared freshness refresh (branches + notes), never one per id.
    expect(fetches() - before).toBeLessThanOrEqual(2);
  });

  it('do not fetch a commit that is on no branch; a signed-in user does, and then everyone sees it', async () => {
    expect((await get(review.GET, offBranch)).status).toBe(404);
    expect((await get(signatures.GET, offBranch)).status).toBe(404);
    const mine = await get(review.GET, offBranch, admin.cookie);
    expect(mine.status).toBe(200);
    expect(mine.body.title).toBe('Proposed change');
    expect((await get(review.GET, offBranch)).status).toBe(200);
    expect((await get(signatures.GET, offBranch)).body.commit).toBe(offBranch);
  });
});

describe('signed-in requests for unknown commits', () => {
  it('share one fetch per id, and a miss is answered without git for a minute', async () => {
    const id = unknownId();
    const before = fetches();
    const answers = await Promise.all(Array.from({ length: 10 }, () => get(review.GET, id, admin.cookie)));
    for (const a of answers) expect(a.status).toBe(404);
    // One refresh (branches + notes) and one fetch of the id, for ten requests.
    expect(fetches() - before).toBeLessThanOrEqual(3);

    const again = fetches();
    const later = await get(review.GET, id, admin.cookie);
    expect(later.status).toBe(404);
    expect(later.body.error).toMatch(/less than a minute ago/);
    expect(fetches() - again).toBeLessThanOrEqual(2); // only, perhaps, the clone's freshness refresh
  });
});
