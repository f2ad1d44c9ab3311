/**
 * Reviewing a change: a topic branch's head against a base (a branch, a full or abbreviated id),
 * shown as its commits and one combined diff from merge-base(base, head), approved with a v2
 * statement that names that merge-base. Through the service functions, the HTTP route handlers
 * (as `next start` runs them, on the process-wide app) and the CLI.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApiToken } from '../../lib/auth/api-tokens';
import { closeGlobalApp, getApp, type App } from '../../lib/server/app';
import { approveOptions, approveVerify } from '../../lib/server/approve';
import { getChangeReview, resolveChange } from '../../lib/server/change';
import { getInbox } from '../../lib/server/inbox';
import { getReview } from '../../lib/server/review';
import { parseNoteLine } from '../../lib/notes/line';
import * as reviewRoute from '../../app/api/repos/[repo]/commits/[commit]/route';
import * as requestsRoute from '../../app/api/requests/route';
import { getAssertion, toAuthenticationResponseJSON } from '../support/soft-authenticator';
import { runCli } from '../support/cli';
import { approve, enroll, gitIn, ORIGIN, remoteNoteLines, trustOnRemote, type Enrolled, type Harness } from './app-harness';

const execFileP = promisify(execFile);
let root: string;
let app: App;
let h: Harness;
let bob: Enrolled;
let carol: Enrolled;
let tess: Enrolled;
/** main's tip when the topic branched off: the change's base. */
let forkPoint: string;
/** The topic's three commits, oldest first. */
let topic: string[];
let head: string;
let env: Record<string, string>;

const TESS = { GIT_AUTHOR_NAME: 'Tess Topic', GIT_AUTHOR_EMAIL: 'tess@example.org', GIT_COMMITTER_NAME: 'Tess Topic', GIT_COMMITTER_EMAIL: 'tess@example.org' };

async function gitAs(cwd: string, who: Record<string, string>, ...args: string[]): Promise<string> {
  return (await execFileP('git', args, { cwd, env: { ...process.env, ...who } })).stdout;
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'cs-change-'));
  env = { COUNTERSIGN_DATA_DIR: path.join(root, 'data'), PORT: '3000', COUNTERSIGN_ADMIN_EMAIL: 'root@example.org' };
  Object.assign(process.env, env);
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  app = await getApp();
  log.mockRestore();
  const remote = path.join(root, 'data', 'demo-remote.git');
  h = { root, config: app.config, app, remote, commits: [], close: async () => {} };
  bob = await enroll(app, 'bob@example.org', { admin: true });
  carol = await enroll(app, 'carol@example.org');
  tess = await enroll(app, 'tess@example.org');

  // Tess branches `topic` off main and makes three commits; main then moves on (a maintainer
  // trusts the reviewers' keys), so the merge-base of main and the topic is no longer main's tip.
  forkPoint = (await gitIn(remote, 'rev-parse', 'main')).trim();
  const work = path.join(root, 'work');
  await gitIn(root, 'clone', '--quiet', remote, work);
  await gitIn(work, 'checkout', '--quiet', '-b', 'topic');
  const steps: Array<[string, string, string]> = [
    ['src/farewell.js', 'export const farewell = (name) => `Goodbye, ${name}!`;\n', 'Add a farewell'],
    ['src/greet.js', "export function greet(name) {\n  return `Hi, ${name}!`;\n}\n", 'Shorter greeting'],
    ['docs/farewell.md', '# Farewell\n\nSays goodbye.\n', 'Document the farewell'],
  ];
  for (const [file, content, title] of steps) {
    await execFileP('mkdir', ['-p', path.dirname(path.join(work, file))]);
    await writeFile(path.join(work, file), content);
    await gitAs(work, TESS, 'add', file);
    await gitAs(work, TESS, 'commit', '--quiet', '-m', title);
  }
  topic = (await gitIn(work, 'rev-list', '--reverse', `${forkPoint}..topic`)).trim().split('\n');
  head = topic[2];
  await gitIn(work, 'push', '--quiet', 'origin', 'topic');
  await trustOnRemote(h, [bob.allowedSignersLine, carol.allowedSignersLine, tess.allowedSignersLine]);
});

afterAll(async () => {
  await closeGlobalApp();
  await rm(root, { recursive: true, force: true });
});

type Handler = (req: Request, ctx: { params: Promise<any> }) => Promise<Response>;

async function call(handler: Handler, url: string, o: { body?: unknown; headers?: Record<string, string>; params?: Record<string, string> } = {}) {
  const method = o.body === undefined ? 'GET' : 'POST';
  const headers: Record<string, string> = { 'x-forwarded-for': '10.0.0.9', ...o.headers };
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  const res = await handler(new Request(`${ORIGIN}${url}`, { method, headers, body: o.body === undefined ? undefined : JSON.stringify(o.body) }), {
    params: Promise.resolve(o.params ?? {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** The app's approve ceremony for a change (head against base) with a software passkey. */
async function approveChange(who: Enrolled, base: string, o: { verifyBase?: string | null } = {}) {
  const opts = await approveOptions(app, who.user, 'demo', head, { verdict: 'approve', base });
  const a = getAssertion(who.passkey, { challenge: new Uint8Array(Buffer.from(opts.options.challenge, 'base64url')), origin: ORIGIN });
  const verifyBase = o.verifyBase === undefined ? base : o.verifyBase;
  const result = await approveVerify(app, who.user, 'demo', head, {
    approvalId: opts.approvalId,
    ...(verifyBase !== null ? { base: verifyBase } : {}),
    response: toAuthenticationResponseJSON(a) as any,
  });
  return { opts, result };
}

describe('which change a link names', () => {
  it("the demo ships an open change, farewell: two commits off main, reviewable as a change", async () => {
    const c = await resolveChange(app.repo('demo'), 'farewell', 'main');
    expect(c.baseName).toBe('main');
    const ids = (await gitIn(h.remote, 'rev-list', `${c.base}..farewell`)).trim().split('\n');
    expect(ids).toHaveLength(2);
    expect(c.head.id).toBe(ids[0]);
  });

  it('a branch name as base means its merge-base with the head, pinned as a full id', async () => {
    const mainTip = (await gitIn(h.remote, 'rev-parse', 'main')).trim();
    expect(mainTip).not.toBe(forkPoint);
    const c = await resolveChange(app.repo('demo'), head, 'main');
    expect(c).toMatchObject({ base: forkPoint, baseName: 'main' });
    expect(c.head.id).toBe(head);
    // main's tip by full id gives the same merge-base, and no branch name.
    expect(await resolveChange(app.repo('demo'), head, mainTip)).toMatchObject({ base: forkPoint, baseName: null });
  });

  it('abbreviated ids and branch names resolve to full ids, for the head and for the base', async () => {
    const c = await resolveChange(app.repo('demo'), head.slice(0, 9), forkPoint.slice(0, 8).toUpperCase());
    expect(c.head.id).toBe(head);
    expect(c).toMatchObject({ base: forkPoint, baseName: null });
    expect((await resolveChange(app.repo('demo'), 'topic', 'main')).head.id).toBe(head);
  });

  it('an abbreviated id wins over a branch spelled the same; other revision syntax is refused', async () => {
    const work = path.join(root, 'work');
    const lookalike = topic[0].slice(0, 9);
    await gitIn(work, 'push', '--quiet', 'origin', `${forkPoint}:refs/heads/${lookalike}`);
    await app.repo('demo').refresh({ maxAgeMs: 0 });
    expect((await resolveChange(app.repo('demo'), head, lookalike)).base).toBe(topic[0]);
    await expect(resolveChange(app.repo('demo'), 'topic~1', 'main')).rejects.toMatchObject({ code: 'unknown-commit' });
    await expect(resolveChange(app.repo('demo'), head, 'main~1')).rejects.toMatchObject({ code: 'unknown-commit', message: expect.stringMatching(/^base: /) });
    await expect(resolveChange(app.repo('demo'), 'HEAD', 'main')).rejects.toMatchObject({ code: 'unknown-commit' });
  });

  it('a branch pushed a moment ago is found by name for a signed-in viewer (one more fetch for a name the clone lacks)', async () => {
    const work = path.join(root, 'work');
    await app.repo('demo').refresh({ maxAgeMs: 0 }); // the clone has just fetched: a page would not fetch again for a few seconds
    await gitIn(work, 'push', '--quiet', 'origin', `${topic[1]}:refs/heads/just-pushed`);
    const c = await resolveChange(app.repo('demo'), 'just-pushed', 'main', { fetchOnDemand: true });
    expect(c.head.id).toBe(topic[1]);
    await gitIn(work, 'push', '--quiet', 'origin', `${forkPoint}:refs/heads/just-pushed-base`);
    expect((await resolveChange(app.repo('demo'), head, 'just-pushed-base', { fetchOnDemand: true })).baseName).toBe('just-pushed-base');
  });

  it('a base that is unknown, shares no history, or already contains the head is a clear 4xx', async () => {
    const at = (base: string) => `/api/repos/demo/commits/${head}?base=${encodeURIComponent(base)}`;
    const params = { repo: 'demo', commit: head };
    const unknown = await call(reviewRoute.GET, at('no-such-branch'), { params });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatch(/^base: "no-such-branch" is neither a commit nor a branch/);
    const inside = await call(reviewRoute.GET, at(head), { params });
    expect(inside.status).toBe(400);
    expect(inside.body.error).toMatch(/already contained in base .*the change is empty/);
    const dash = await call(reviewRoute.GET, at('--output=/tmp/x'), { params });
    expect(dash.status).toBe(404);

    // An unrelated history pushed as a branch.
    const work = path.join(root, 'orphan');
    await gitIn(root, 'init', '--quiet', '--initial-branch=orphan', work);
    await gitIn(work, 'commit', '--quiet', '--allow-empty', '-m', 'Unrelated');
    await gitIn(work, 'push', '--quiet', h.remote, 'orphan:refs/heads/orphan');
    await app.repo('demo').refresh({ maxAgeMs: 0 });
    const unrelated = await call(reviewRoute.GET, at('orphan'), { params });
    expect(unrelated.status).toBe(400);
    expect(unrelated.body.error).toMatch(/share no history/);
  });
});

describe('the change review', () => {
  it('lists the commits oldest first and shows one combined diff from the merge-base', async () => {
    const r = await getChangeReview(app, 'demo', head, forkPoint, bob.user, { baseName: 'main' });
    expect(r.change).toMatchObject({ base: forkPoint, baseShortId: forkPoint.slice(0, 12), baseName: 'main', baseNameMoved: false, commitCount: 3 });
    expect(r.change!.commits.map((c) => [c.title, c.authorName, c.shortId])).toEqual([
      ['Add a farewell', 'Tess Topic', topic[0].slice(0, 12)],
      ['Shorter greeting', 'Tess Topic', topic[1].slice(0, 12)],
      ['Document the farewell', 'Tess Topic', topic[2].slice(0, 12)],
    ]);
    // Every file the three commits touched, in one diff (the head's own diff has only the docs).
    expect(r.diff.files.map((f) => f.path).sort()).toEqual(['docs/farewell.md', 'src/farewell.js', 'src/greet.js']);
    expect((await getReview(app, 'demo', head, null)).diff.files.map((f) => f.path)).toEqual(['docs/farewell.md']);
    // What the passkey would sign: statement v2 naming the base.
    expect(r.statementPreview).toMatch(new RegExp(`^countersign review statement v2\nrepository: demo\ncommit: ${head}\ntree: [0-9a-f]{40}\nbase: ${forkPoint}\nverdict: approve\nsigner: bob@example.org\n`));
    expect(r.policy).toMatchObject({ count: 0, threshold: 2, met: false });
    // The same through the API, with the branch name as base.
    const api = await call(reviewRoute.GET, `/api/repos/demo/commits/${head}?base=main`, { params: { repo: 'demo', commit: head } });
    expect(api.status).toBe(200);
    expect(api.body.change).toMatchObject({ base: forkPoint, baseName: 'main', commitCount: 3 });
  });

  it('says when the branch the base came from has moved since', async () => {
    const r = await getChangeReview(app, 'demo', head, topic[0], null, { baseName: 'main' });
    expect(r.change).toMatchObject({ base: topic[0], baseNameMoved: true, commitCount: 2 });
  });
});

describe('approving a change', () => {
  let bobV1 = '';

  it('an approval of the head alone (v1) shows on the change page as approving only the last commit, and does not count there', async () => {
    const single = await approve(app, bob.user, bob.passkey, head);
    expect(single.result).toMatchObject({ status: 'published', counted: true });
    bobV1 = single.result.line;
    const r = await getChangeReview(app, 'demo', head, forkPoint, bob.user);
    expect(r.policy.count).toBe(0);
    expect(r.viewerHasSigned).toBe(false);
    expect(r.signatures).toEqual([
      expect.objectContaining({ line: bobV1, scope: 'last-commit', counted: false, status: 'not-counted', reason: expect.stringMatching(/approves only the last commit/) }),
    ]);
  });

  it('writes a v2 line naming the base; two reviewers meet the policy for the change', async () => {
    const first = await approveChange(bob, forkPoint);
    expect(first.opts.statement).toContain(`\nbase: ${forkPoint}\n`);
    expect(first.result).toMatchObject({ status: 'published', counted: true, policy: { count: 1, met: false } });
    expect(first.result.line).toMatch(new RegExp(`^countersign-v2 approve bob@example\\.org \\S+ ${forkPoint} `));
    expect(parseNoteLine(first.result.line).base).toBe(forkPoint);
    const second = await approveChange(carol, forkPoint);
    expect(second.result).toMatchObject({ status: 'published', policy: { count: 2, met: true } });
    expect((await remoteNoteLines(h.remote, head)).sort()).toEqual([bobV1, first.result.line, second.result.line].sort());

    const r = await getChangeReview(app, 'demo', head, forkPoint, carol.user);
    expect(r.policy).toMatchObject({ count: 2, met: true });
    expect(r.viewerHasSigned).toBe(true);
    expect(r.signatures.filter((s) => s.scope === 'change').map((s) => [s.signer, s.status])).toEqual([
      ['bob@example.org', 'counted'],
      ['carol@example.org', 'counted'],
    ]);
    // Approving the change again is harmless.
    const again = await approveChange(bob, forkPoint);
    expect(again.result).toMatchObject({ status: 'already', line: first.result.line });
  });

  it('the author of a commit in the change does not count for it', async () => {
    const own = await approveChange(tess, forkPoint);
    expect(own.result.warning).toMatch(/author or committer of a commit in this change/);
    const r = await getChangeReview(app, 'demo', head, forkPoint, null);
    expect(r.signatures.find((s) => s.signer === 'tess@example.org')).toMatchObject({ counted: false, status: 'not-counted' });
  });

  it('each exported signature verifies with stock ssh-keygen', async () => {
    const clone = path.join(root, 'bot');
    await gitIn(root, 'clone', '--quiet', h.remote, clone);
    const out = path.join(root, 'export');
    const exported = await runCli(['export', '--repo', clone, head, '--out', out]);
    expect(exported.code, exported.stderr).toBe(0);
    const files = await readdir(out);
    const statements = files.filter((f) => f.endsWith('.statement'));
    expect(statements).toHaveLength(4);
    const { stdout } = await execFileP('sh', ['verify.sh'], { cwd: out });
    expect(stdout.match(/Good "countersign-review@countersign\.dev" signature/g)).toHaveLength(4);
  });

  it('refuses a base that is not an ancestor of the head, and a change approval completed as another scope', async () => {
    const mainTip = (await gitIn(h.remote, 'rev-parse', 'main')).trim();
    await expect(approveOptions(app, bob.user, 'demo', head, { verdict: 'approve', base: mainTip })).rejects.toMatchObject({
      code: 'bad-input',
      message: expect.stringMatching(/is not an ancestor/),
    });
    const before = await remoteNoteLines(h.remote, head);
    await expect(approveChange(carol, topic[0], { verifyBase: null })).rejects.toThrow(/prepared for the change from/);
    await expect(approveChange(carol, topic[0], { verifyBase: forkPoint })).rejects.toThrow(/prepared for the change from/);
    expect(await remoteNoteLines(h.remote, head)).toEqual(before);
  });
});

describe('requesting a review of a change', () => {
  it('a bot names a base in POST /api/requests; the inbox item is the change', async () => {
    const { token } = await createApiToken(app, 'ci', null);
    const r = await call(requestsRoute.POST, '/api/requests', {
      body: { repo: 'demo', commit: head.slice(0, 10), base: 'main' },
      headers: { authorization: `Bearer ${token}` },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ repo: 'demo', commit: head, base: forkPoint, baseName: 'main' });
    const item = (await getInbox(app, carol.user))[0];
    expect(item).toMatchObject({ commit: head, base: forkPoint, baseName: 'main', commitCount: 3, count: 2, met: true, viewerHasSigned: true });
    const bad = await call(requestsRoute.POST, '/api/requests', {
      body: { repo: 'demo', commit: head, base: 'nope' },
      headers: { authorization: `Bearer ${token}` },
    });
    expect(bad.status).toBe(404);
    expect(bad.body.error).toMatch(/^base: /);
  });

  it('countersign request --base prints the change link (through the running server)', async () => {
    const r = await runCli(['request', '--repo', 'demo', '--base', 'main', '--by', 'release-bot', topic[1]], { env });
    expect(r.stderr).toMatch(/review requested for demo the change [0-9a-f]{12}\.\.[0-9a-f]{12} \(from main\)/);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(`http://localhost:3000/r/demo/${topic[1]}?base=${forkPoint}&from=main`);
    const item = (await getInbox(app, bob.user))[0];
    expect(item).toMatchObject({ commit: topic[1], base: forkPoint, commitCount: 2, requestedBy: 'release-bot', viewerHasSigned: false });
    const bad = await runCli(['request', '--repo', 'demo', '--base', head, topic[1]], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/already contained in base/);
  });
});
