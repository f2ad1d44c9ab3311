/**
 * The review page's diff in pages (GET /api/repos/<repo>/commits/<commit>/diff): the page itself
 * carries the file list and a first part within a budget, and this route serves the rest — the
 * file list a page at a time and one file's diff a chunk at a time — to exactly whoever may read
 * the review page, on the same terms. Exercised on a generated worst case: thousands of files, a
 * 50,000-line file, 200,000-character lines and a binary file in one commit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getReview } from '../../lib/server/review';
import { PAGE_BUDGET } from '../../lib/server/diff-view';
import type { DiffChunkView, DiffFilesPageView, DiffRowView, ReviewView } from '../../lib/server/types';
import * as diffRoute from '../../app/api/repos/[repo]/commits/[commit]/diff/route';
import * as reviewRoute from '../../app/api/repos/[repo]/commits/[commit]/route';
import { peerHeaderValue } from '../../lib/server/client-address';
import { BIG_COMMIT, BIG_PATHS, makeBigCommit, smallPath } from '../support/big-commit';
import { gitIn } from './app-harness';
import { enrollViaHttp, ORIGIN, startHttpServer, type HttpServer } from './http-client';

let server: HttpServer;
let big: string;
let cookie: string;
const TOTAL_FILES = BIG_COMMIT.smallFiles + 3;

type Handler = (req: Request, ctx: { params: Promise<any> }) => Promise<Response>;

/** GET a route with a query string, signed in when `cookie` is given. */
async function get(handler: Handler, params: Record<string, string>, query: string, opts: { cookie?: string } = {}): Promise<{ status: number; body: any; text: string }> {
  const headers: Record<string, string> = { 'x-countersign-peer': peerHeaderValue('10.0.0.9') };
  if (opts.cookie) headers.cookie = opts.cookie;
  const res = await handler(new Request(`${ORIGIN}/api/x${query ? `?${query}` : ''}`, { headers }), { params: Promise.resolve(params) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, text };
}

const diff = (query: string, opts: { commit?: string; repo?: string; cookie?: string } = {}) =>
  get(diffRoute.GET, { repo: opts.repo ?? 'demo', commit: opts.commit ?? big }, query, opts);

const lines = (rows: DiffRowView[], kind: 'add' | 'del') => rows.filter((r) => r.kind === kind).length;

beforeAll(async () => {
  server = await startHttpServer();
  cookie = (await enrollViaHttp(server.firstInviteUrl)).cookie;
  const main = server.commits[server.commits.length - 1];
  big = await makeBigCommit(server.remote, 'big', main);
  await server.app.repo('demo').refresh({ maxAgeMs: 0 });
}, 120_000);

afterAll(async () => {
  await server?.close();
});

describe('the review page carries the file list and a first part of the diff', () => {
  let view: ReviewView;
  beforeAll(async () => {
    view = await getReview(server.app, 'demo', big, null, { diff: 'page' });
  });

  it('counts every file and line of the commit, listed or not', () => {
    expect(view.diff.totals).toEqual({ files: TOTAL_FILES, additions: BIG_COMMIT.smallFiles * 3 + BIG_COMMIT.hugeLines + BIG_COMMIT.longLines, deletions: 0, binary: 1 });
    expect(view.diff.files).toHaveLength(PAGE_BUDGET.files);
    const listed = view.diff.files.reduce((n, f) => n + f.additions, 0);
    expect(view.diff.more).toEqual({ offset: PAGE_BUDGET.files, files: TOTAL_FILES - PAGE_BUDGET.files, additions: view.diff.totals!.additions - listed, deletions: 0 });
  });

  it('shows small files whole within the budget and leaves the rest to load, each saying so', () => {
    const shown = view.diff.files.filter((f) => !f.deferred);
    const rows = shown.reduce((n, f) => n + f.rows!.length, 0);
    expect(shown.length).toBeGreaterThan(0);
    expect(rows).toBeLessThanOrEqual(PAGE_BUDGET.rows);
    for (const f of shown) expect(f.binary || lines(f.rows!, 'add') === f.additions).toBe(true);
    for (const f of view.diff.files.filter((x) => x.deferred)) {
      expect(f.rows).toBeUndefined();
      expect(f.next).toBe(0);
    }
    // The huge file comes before the small ones (huge/ sorts before many/) and does not crowd them out.
    expect(view.diff.files.find((f) => f.path === smallPath(0))?.rows).toEqual([
      { kind: 'hunk', text: '@@ -0,0 +1,3 @@' },
      { kind: 'add', text: 'file 0', newNo: 1 },
      { kind: 'add', text: 'second line', newNo: 2 },
      { kind: 'add', text: 'third line', newNo: 3 },
    ]);
    // Every small file listed is shown; the file of 200,000-character lines is more patch than the
    // page reads, so it loads when opened, as the huge one does.
    expect(shown.filter((f) => !f.binary)).toHaveLength(PAGE_BUDGET.files - 3);
    expect(view.diff.files.find((f) => f.path === BIG_PATHS.long)).toMatchObject({ deferred: true, next: 0 });
    // The binary file and the huge one are listed first (bin/, huge/ sort before many/).
    expect(view.diff.files.find((f) => f.path === BIG_PATHS.binary)).toMatchObject({ binary: true, rows: [] });
    expect(view.diff.files.find((f) => f.path === BIG_PATHS.huge)).toMatchObject({ deferred: true, additions: BIG_COMMIT.hugeLines });
  });

  it('the JSON review (bots, the offline copy) keeps its full diff up to the old limits', async () => {
    const json = await get(reviewRoute.GET, { repo: 'demo', commit: big }, '');
    expect(json.status).toBe(200);
    expect(json.body.diff.totals).toBeUndefined();
    expect(json.body.diff.truncated.files).toBeGreaterThan(0);
  });
});

describe('GET …/diff?files=N lists the files a page at a time', () => {
  it('walks the whole list, with counts and binary marked, to the total', async () => {
    const seen: string[] = [];
    let next: number | null = 0;
    while (next !== null) {
      const r = await diff(`files=${next}`);
      expect(r.status).toBe(200);
      const page = r.body as DiffFilesPageView;
      expect(page.total).toBe(TOTAL_FILES);
      seen.push(...page.files.map((f) => f.path));
      for (const f of page.files) expect(f.hunks).toEqual([]);
      next = page.next;
    }
    expect(seen).toHaveLength(TOTAL_FILES);
    expect(new Set(seen).size).toBe(TOTAL_FILES);
    expect(seen).toContain(smallPath(BIG_COMMIT.smallFiles - 1));
    const first = (await diff('files=0')).body as DiffFilesPageView;
    expect(first.files.find((f) => f.path === BIG_PATHS.binary)).toMatchObject({ binary: true, status: 'added' });
  });
});

describe('GET …/diff?path=P&start=N pages one file', () => {
  it('a 50,000-line file comes in chunks that join up to all of it', async () => {
    const all: DiffRowView[] = [];
    let next: number | null = 0;
    let requests = 0;
    while (next !== null) {
      const r = await diff(`path=${encodeURIComponent(BIG_PATHS.huge)}&start=${next}&count=2000`);
      expect(r.status).toBe(200);
      const c = r.body as DiffChunkView;
      expect(c.start).toBe(next);
      expect(c.rows.length).toBeLessThanOrEqual(2000);
      expect(c.cut).toBe(false);
      all.push(...c.rows);
      next = c.next;
      requests++;
    }
    expect(requests).toBe(Math.ceil((BIG_COMMIT.hugeLines + 1) / 2000));
    expect(all[0]).toEqual({ kind: 'hunk', text: `@@ -0,0 +1,${BIG_COMMIT.hugeLines} @@` });
    expect(lines(all, 'add')).toBe(BIG_COMMIT.hugeLines);
    expect(all[all.length - 1]).toEqual({ kind: 'add', text: `line ${BIG_COMMIT.hugeLines} of the huge file`, newNo: BIG_COMMIT.hugeLines });
    // The default chunk is 1,000 rows.
    expect((await diff(`path=${encodeURIComponent(BIG_PATHS.huge)}`)).body).toMatchObject({ start: 0, next: 1000 });
  });

  it('a long line is cut with the count of what is left out, and loads whole on request', async () => {
    const c = (await diff(`path=${encodeURIComponent(BIG_PATHS.long)}`)).body as DiffChunkView;
    const first = c.rows[1];
    expect(first).toMatchObject({ kind: 'add', newNo: 1, cut: BIG_COMMIT.longLineChars - 2000 });
    expect(first.text).toHaveLength(2000);
    const whole = (await diff(`path=${encodeURIComponent(BIG_PATHS.long)}&start=1&count=1&lineChars=1048576`)).body as DiffChunkView;
    expect(whole.rows).toHaveLength(1);
    expect(whole.rows[0].text).toHaveLength(BIG_COMMIT.longLineChars);
    expect(whole.rows[0]).not.toHaveProperty('cut');
    expect(whole.next).toBe(2);
  });

  it('a binary file has no rows and says it is binary', async () => {
    expect((await diff(`path=${encodeURIComponent(BIG_PATHS.binary)}`)).body).toMatchObject({ binary: true, rows: [], next: null });
  });
});

describe('the same access as the review page', () => {
  let hidden: string;
  beforeAll(async () => {
    // A pull request's head: on the remote, on no branch, so the server's clone does not have it.
    const main = server.commits[server.commits.length - 1];
    const tree = (await gitIn(server.remote, 'rev-parse', `${main}^{tree}`)).trim();
    hidden = (await gitIn(server.remote, 'commit-tree', tree, '-p', main, '-m', 'On no branch')).trim();
    await gitIn(server.remote, 'update-ref', 'refs/pull/1/head', hidden);
  });

  it('signed out, the page and the diff are readable for a commit the server has', async () => {
    expect((await get(reviewRoute.GET, { repo: 'demo', commit: big }, '')).status).toBe(200);
    expect((await diff('files=0')).status).toBe(200);
  });

  it('signed out, a commit the clone lacks is a 404 for both (no fetch); signed in, both fetch it', async () => {
    const review = await get(reviewRoute.GET, { repo: 'demo', commit: hidden }, '');
    const files = await diff('files=0', { commit: hidden });
    expect([review.status, files.status]).toEqual([404, 404]);
    expect(files.body.error).toMatch(/sign in to have the server look for it/);
    const signedIn = await diff('files=0', { commit: hidden, cookie });
    expect(signedIn.status).toBe(200);
    expect(signedIn.body).toMatchObject({ total: 0, files: [], next: null });
    expect((await get(reviewRoute.GET, { repo: 'demo', commit: hidden }, '', { cookie })).status).toBe(200);
  });

  it('a change: base=<full id> gives the diff from that base, refused as the page refuses it', async () => {
    const main = server.commits[server.commits.length - 1];
    const first = server.commits[0];
    const change = await diff(`files=0&base=${first}`);
    expect(change.status).toBe(200);
    const direct = await diff('files=0');
    expect(change.body.total).toBeGreaterThan(direct.body.total);
    // Not an ancestor of the head (the head itself, then an unrelated id) or not a full id.
    expect((await diff(`files=0&base=${big}`)).status).toBe(400);
    expect((await diff(`files=0&base=${'d'.repeat(40)}`)).status).toBe(404);
    expect((await diff('files=0&base=main')).status).toBe(400);
    expect((await diff(`path=README.md&base=${main}`)).status).toBe(404);
  });
});

describe('bad input: a 4xx with a message, and nothing of the server leaked', () => {
  const cases: Array<[string, string, number]> = [
    ['no query', '', 400],
    ['unknown parameter', 'files=0&x=1', 400],
    ['files and path together', `files=0&path=${BIG_PATHS.huge}`, 400],
    ['a parameter twice', 'files=0&files=1', 400],
    ['files not a number', 'files=abc', 400],
    ['files negative', 'files=-1', 400],
    ['files past the end', `files=${TOTAL_FILES + 1}`, 400],
    ['start past the end', `path=${BIG_PATHS.binary}&start=5`, 400],
    ['count zero', `path=${BIG_PATHS.huge}&count=0`, 400],
    ['count too large', `path=${BIG_PATHS.huge}&count=5000`, 400],
    ['lineChars too large', `path=${BIG_PATHS.huge}&lineChars=99999999`, 400],
    ['a path with NUL', 'path=a%00b', 400],
    ['an empty path', 'path=', 400],
    ['a path too long', `path=${'a'.repeat(5000)}`, 400],
    ['a path the commit does not change', 'path=no/such/file', 404],
    ['pathspec magic is not magic', `path=${encodeURIComponent(':(glob)**')}`, 404],
    ['a glob is not a glob', `path=${encodeURIComponent('many/*')}`, 404],
  ];
  for (const [what, query, status] of cases) {
    it(`${what} → ${status}`, async () => {
      const r = await diff(query);
      expect(r.status).toBe(status);
      expect(typeof r.body.error).toBe('string');
      expect(r.text).not.toContain(server.root);
    });
  }

  it('an unknown commit or repository is a 404', async () => {
    expect((await diff('files=0', { commit: 'c'.repeat(40) })).status).toBe(404);
    expect((await diff('files=0', { commit: 'not-an-id' })).status).toBe(404);
    expect((await diff('files=0', { repo: 'nope' })).status).toBe(404);
  });
});
