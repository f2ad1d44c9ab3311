/**
 * Webhooks in: `POST /api/hooks/github` through its route handler, on the process-wide app (as
 * `next start` runs it), with GitHub's published example deliveries (@octokit/webhooks-examples)
 * pointed at the demo repository's open change and signed with the repository's secret. Pull
 * requests become review requests in the inbox (number, title, link); a new push replaces the
 * request; closing removes it; a push fetches. Anything unsigned, mis-signed or for another
 * repository is refused with a 4xx and writes nothing; a redelivery changes nothing.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import examples from '@octokit/webhooks-examples';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as hookRoute from '../../app/api/hooks/github/route';
import * as inboxRoute from '../../app/api/inbox/route';
import { createInvite } from '../../lib/auth/invites';
import { loadConfig } from '../../lib/config/config';
import { describeVerdict } from '../../lib/forge/status';
import { signatureValid, signBody } from '../../lib/forge/signature';
import { closeGlobalApp, getApp, type App } from '../../lib/server/app';
import { approve, enroll, gitIn, ORIGIN, trustOnRemote, type Enrolled, type Harness } from './app-harness';
import { startFakeForge, type FakeForge } from './forge-fake';
import { call, enrollViaHttp, type HttpUser } from './http-client';

const SECRET = 'a webhook secret for tests';
const FORGE_REPO = 'Codertocat/Hello-World'; // the repository GitHub's example deliveries are for
const TOKEN = 'ghs_forge_webhook_test';

let root: string;
let app: App;
let forge: FakeForge;
let remote: string;
let reviewer: HttpUser;
let bob: Enrolled;
let carol: Enrolled;
/** The demo's open change: branch farewell (two commits) off main. */
let head: string;
let base: string;

/** GitHub's example delivery for an event (and action), as published. */
function example(event: string, action?: string): any {
  const group = (examples as any[]).find((e) => e.name === event);
  const ex = group.examples.find((x: any) => action === undefined || x.action === action);
  if (!ex) throw new Error(`no example ${event}.${action}`);
  return structuredClone(ex);
}

/** The example pull_request delivery, its head and base moved to the demo's change. */
function prDelivery(action: string, o: { number?: number; head?: string; title?: string; draft?: boolean } = {}): any {
  const p = example('pull_request', action);
  const n = o.number ?? 7;
  p.number = n;
  p.pull_request.number = n;
  p.pull_request.html_url = `https://github.com/${FORGE_REPO}/pull/${n}`;
  p.pull_request.title = o.title ?? 'Add a farewell';
  p.pull_request.head.sha = o.head ?? head;
  p.pull_request.base.ref = 'main';
  p.pull_request.draft = o.draft ?? false;
  return p;
}

interface Delivery {
  event: string;
  payload: unknown;
  id?: string;
  secret?: string | null;
  /** Override the signature header value. */
  signature?: string;
  /** Gitea/Forgejo style headers (X-Gitea-*, bare-hex X-Gitea-Signature) instead of GitHub's. */
  style?: 'github' | 'gitea';
  query?: string;
}

async function deliver(d: Delivery) {
  const raw = JSON.stringify(d.payload);
  const id = d.id ?? randomUUID();
  const sig = d.signature ?? (d.secret === null ? undefined : await signBody(d.secret ?? SECRET, raw));
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'GitHub-Hookshot/test' };
  if (d.style === 'gitea') {
    headers['x-gitea-event'] = d.event;
    headers['x-gitea-delivery'] = id;
    if (sig) headers['x-gitea-signature'] = sig.replace(/^sha256=/, '');
  } else {
    headers['x-github-event'] = d.event;
    headers['x-github-delivery'] = id;
    if (sig) headers['x-hub-signature-256'] = sig;
  }
  const res = await hookRoute.POST(new Request(`${ORIGIN}/api/hooks/github${d.query ?? ''}`, { method: 'POST', headers, body: raw }));
  return { status: res.status, body: await res.json(), id };
}

async function inbox(): Promise<any[]> {
  const r = await call(inboxRoute.GET, { cookie: reviewer.cookie });
  expect(r.status).toBe(200);
  return r.body;
}

async function counts() {
  const [d] = await app.db.query<{ n: number }>('select count(*)::int as n from forge_deliveries');
  const [r] = await app.db.query<{ n: number }>('select count(*)::int as n from review_requests');
  const [p] = await app.db.query<{ n: number }>('select count(*)::int as n from forge_pull_requests');
  const [s] = await app.db.query<{ n: number }>('select count(*)::int as n from forge_statuses');
  return { deliveries: Number(d.n), requests: Number(r.n), pullRequests: Number(p.n), statuses: Number(s.n) };
}

async function waitFor<T>(fn: () => T | Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'cs-forge-hook-'));
  forge = await startFakeForge({ token: TOKEN });
  const dataDir = path.join(root, 'data');
  remote = path.join(dataDir, 'demo-remote.git');
  await writeFile(
    path.join(root, 'countersign.config.json'),
    JSON.stringify({
      demo: true,
      repositories: [
        {
          name: 'demo',
          remote,
          forge: { type: 'github', repo: FORGE_REPO, secretEnv: 'FORGE_TEST_SECRET', token: TOKEN, apiUrl: forge.url },
        },
      ],
    }),
  );
  Object.assign(process.env, {
    COUNTERSIGN_CONFIG: path.join(root, 'countersign.config.json'),
    COUNTERSIGN_DATA_DIR: dataDir,
    PORT: '3000',
    COUNTERSIGN_ADMIN_EMAIL: 'root@example.org',
    FORGE_TEST_SECRET: SECRET,
  });
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  app = await getApp();
  log.mockRestore();
  reviewer = await enrollViaHttp((await createInvite(app, 'rita@example.org')).url);
  bob = await enroll(app, 'bob@example.org');
  carol = await enroll(app, 'carol@example.org');
  const h: Harness = { root, config: app.config, app, remote, commits: [], close: async () => {} };
  await trustOnRemote(h, [bob.allowedSignersLine, carol.allowedSignersLine]);
  head = (await gitIn(remote, 'rev-parse', 'farewell')).trim();
  base = (await gitIn(remote, 'merge-base', 'main', 'farewell')).trim();
});

afterAll(async () => {
  await closeGlobalApp();
  await forge.close();
  delete process.env.COUNTERSIGN_CONFIG;
  delete process.env.FORGE_TEST_SECRET;
  await rm(root, { recursive: true, force: true });
});

describe('the signature (X-Hub-Signature-256)', () => {
  it("matches GitHub's documented test vector", async () => {
    const expected = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    expect(await signBody("It's a Secret to Everybody", 'Hello, World!')).toBe(expected);
    expect(await signatureValid("It's a Secret to Everybody", 'Hello, World!', expected)).toBe(true);
    expect(await signatureValid("It's a Secret to Everybody", 'Hello, World!?', expected)).toBe(false);
    expect(await signatureValid('another secret', 'Hello, World!', expected)).toBe(false);
  });

  it('a ping signed with the secret is answered', async () => {
    const ping = example('ping');
    ping.repository.full_name = FORGE_REPO;
    const r = await deliver({ event: 'ping', payload: ping });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ event: 'ping', repo: 'demo', outcome: 'pong' });
  });

  it('a bad or missing signature, an unknown repository, or a delivery for another repository: 4xx, nothing written', async () => {
    const before = await counts();
    const pr = prDelivery('opened', { number: 90 });
    const bad = await deliver({ event: 'pull_request', payload: pr, secret: 'not the secret' });
    expect(bad.status).toBe(401);
    expect(bad.body.error).toMatch(/signature does not match/);
    const missing = await deliver({ event: 'pull_request', payload: pr, secret: null });
    expect(missing.status).toBe(401);
    expect(missing.body.error).toMatch(/not signed/);
    const malformed = await deliver({ event: 'pull_request', payload: pr, signature: 'sha1=0123' });
    expect(malformed.status).toBe(401);
    // The body changed after signing: the signature covers the exact bytes.
    const raw = JSON.stringify(pr);
    const tampered = await hookRoute.POST(
      new Request(`${ORIGIN}/api/hooks/github`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-github-event': 'pull_request', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': await signBody(SECRET, raw) },
        body: raw.replace('Add a farewell', 'Add a farewell!'),
      }),
    );
    expect(tampered.status).toBe(401);

    const other = structuredClone(pr);
    other.repository.full_name = 'someone/else';
    const unknown = await deliver({ event: 'pull_request', payload: other });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatch(/someone\/else/);
    // Named by the URL and signed with its secret, but about another repository.
    const elsewhere = await deliver({ event: 'pull_request', payload: other, query: '?repo=demo' });
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body.error).toMatch(/is for someone\/else/);
    const noSuchRepo = await deliver({ event: 'pull_request', payload: pr, query: '?repo=nope' });
    expect(noSuchRepo.status).toBe(404);

    const notJson = await hookRoute.POST(
      new Request(`${ORIGIN}/api/hooks/github`, { method: 'POST', headers: { 'x-github-event': 'push', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': await signBody(SECRET, '{nope') }, body: '{nope' }),
    );
    expect(notJson.status).toBe(400);
    const noEvent = await hookRoute.POST(new Request(`${ORIGIN}/api/hooks/github`, { method: 'POST', body: raw }));
    expect(noEvent.status).toBe(400);
    // A signed pull request delivery whose head is not a commit id is refused before it is remembered.
    const broken = prDelivery('opened', { number: 91 });
    broken.pull_request.head.sha = 'main';
    const brokenR = await deliver({ event: 'pull_request', payload: broken });
    expect(brokenR.status).toBe(400);

    expect(await counts()).toEqual(before);
    expect((await inbox()).filter((i) => i.pr)).toEqual([]);
  });
});

describe('pull requests become review requests', () => {
  it('opened: the change from the base branch to the head is in the reviewers\' inbox with number, title and link', async () => {
    const r = await deliver({ event: 'pull_request', payload: prDelivery('opened') });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ event: 'pull_request', repo: 'demo', outcome: 'requested' });
    const items = (await inbox()).filter((i) => i.pr);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      repo: 'demo',
      commit: head,
      base,
      baseName: 'main',
      commitCount: 2,
      requestedBy: 'github:Codertocat',
      pr: { number: 7, title: 'Add a farewell', url: `https://github.com/${FORGE_REPO}/pull/7`, earlier: [] },
    });
    // And its commit status: pending, counted as on the change page.
    const statuses = await waitFor(() => forge.statuses(head), (s) => s.length > 0);
    expect(statuses).toEqual([
      { sha: head, state: 'pending', description: '0 of 2 signatures', context: 'countersign', target_url: `http://localhost:3000/r/demo/${head}?base=${base}&from=main` },
    ]);
    expect(forge.violations).toEqual([]);
  });

  it('a redelivery (same delivery id) changes nothing', async () => {
    const payload = prDelivery('reopened');
    const first = await deliver({ event: 'pull_request', payload });
    expect(first.body.outcome).toBe('requested');
    const [before] = await app.db.query<any>('select id, requested_at from review_requests where pr_number = 7');
    const c = await counts();
    const again = await deliver({ event: 'pull_request', payload, id: first.id });
    expect(again.status).toBe(200);
    expect(again.body.outcome).toBe('duplicate');
    const [after] = await app.db.query<any>('select id, requested_at from review_requests where pr_number = 7');
    expect(after).toEqual(before);
    expect(await counts()).toEqual(c);
  });

  it('a new push (synchronize) replaces the request; the inbox names the signatures made on the earlier head', async () => {
    // Bob approved the head before the push (a single-commit approval of it, as an old link would).
    await approve(app, bob.user, bob.passkey, head);
    const work = path.join(root, 'work');
    await gitIn(root, 'clone', '--quiet', '--branch', 'farewell', remote, work);
    await writeFile(path.join(work, 'NEWS.md'), 'Farewells are here.\n');
    await gitIn(work, 'add', 'NEWS.md');
    await gitIn(work, 'commit', '--quiet', '-m', 'News of the farewell');
    await gitIn(work, 'push', '--quiet', 'origin', 'farewell');
    const newHead = (await gitIn(work, 'rev-parse', 'HEAD')).trim();

    const r = await deliver({ event: 'pull_request', payload: prDelivery('synchronize', { head: newHead }) });
    expect(r.body.outcome).toBe('requested');
    const items = (await inbox()).filter((i) => i.pr);
    expect(items.map((i) => i.commit)).toEqual([newHead]);
    expect(items[0]).toMatchObject({ base, commitCount: 3, count: 0, pr: { number: 7, earlier: [{ commit: head, shortId: head.slice(0, 12), signatures: 1 }] } });
    await waitFor(() => forge.statuses(newHead), (s) => s.length > 0);
    expect(forge.statuses(newHead).map((s) => s.state)).toEqual(['pending']);
    head = newHead;
  });

  it('closed: the request leaves the inbox', async () => {
    const r = await deliver({ event: 'pull_request', payload: prDelivery('closed') });
    expect(r.body.outcome).toBe('closed');
    expect((await inbox()).filter((i) => i.pr)).toEqual([]);
  });

  it('drafts are not asked for review until they are ready (but get their status)', async () => {
    const draft = await deliver({ event: 'pull_request', payload: prDelivery('opened', { number: 8, draft: true }) });
    expect(draft.body.outcome).toBe('draft');
    expect((await inbox()).filter((i) => i.pr)).toEqual([]);
    const ready = await deliver({ event: 'pull_request', payload: prDelivery('ready_for_review', { number: 8 }) });
    expect(ready.body.outcome).toBe('requested');
    expect((await inbox()).filter((i) => i.pr).map((i) => i.pr.number)).toEqual([8]);
    const back = await deliver({ event: 'pull_request', payload: prDelivery('converted_to_draft', { number: 8, draft: true }) });
    expect(back.body.outcome).toBe('draft');
    expect((await inbox()).filter((i) => i.pr)).toEqual([]);
  });

  it('Gitea/Forgejo deliveries (X-Gitea-* headers, bare-hex signature, action "synchronized") work the same', async () => {
    const r = await deliver({ event: 'pull_request', payload: prDelivery('opened', { number: 9 }), style: 'gitea' });
    expect(r.status).toBe(200);
    const p = prDelivery('synchronize', { number: 9, title: 'Add a farewell (v2)' });
    p.action = 'synchronized';
    expect((await deliver({ event: 'pull_request', payload: p, style: 'gitea' })).body.outcome).toBe('requested');
    expect((await inbox()).filter((i) => i.pr).map((i) => i.pr)).toMatchObject([{ number: 9, title: 'Add a farewell (v2)' }]);
    const bad = await deliver({ event: 'pull_request', payload: p, style: 'gitea', secret: 'wrong' });
    expect(bad.status).toBe(401);
  });

  it('other actions (labeled, edited …) change nothing', async () => {
    const c = await counts();
    const r = await deliver({ event: 'pull_request', payload: prDelivery('labeled', { number: 9 }) });
    expect(r.body.outcome).toBe('ignored');
    expect((await counts()).requests).toBe(c.requests);
  });
});

describe('a pull request from a fork', () => {
  it("its head is on no branch of the repository: it is fetched through refs/pull/N/head", async () => {
    const fork = path.join(root, 'fork');
    await gitIn(root, 'clone', '--quiet', remote, fork);
    await writeFile(path.join(fork, 'FORK.md'), 'From a fork.\n');
    await gitIn(fork, 'add', 'FORK.md');
    await gitIn(fork, 'commit', '--quiet', '-m', 'A change from a fork');
    const forkHead = (await gitIn(fork, 'rev-parse', 'HEAD')).trim();
    // What GitHub keeps for a fork's pull request in the base repository.
    await gitIn(fork, 'push', '--quiet', 'origin', 'HEAD:refs/pull/20/head');
    const r = await deliver({ event: 'pull_request', payload: prDelivery('opened', { number: 20, head: forkHead, title: 'From a fork' }) });
    expect(r.status).toBe(200);
    expect(r.body.outcome).toBe('requested');
    expect((await inbox()).find((i) => i.pr?.number === 20)).toMatchObject({ commit: forkHead, commitCount: 1, pr: { title: 'From a fork' } });
  });

  it('a head that cannot be found anywhere: 404, and the delivery is not remembered (a redelivery retries)', async () => {
    const before = await counts();
    const missing = prDelivery('opened', { number: 21, head: 'ab'.repeat(20) });
    const r = await deliver({ event: 'pull_request', payload: missing });
    expect(r.status).toBe(404);
    expect(await counts()).toEqual(before);
  });
});

describe('the status text', () => {
  it('pending while short of the threshold, success when met, failure when the policy cannot be met', () => {
    expect(describeVerdict({ count: 1, threshold: 2, met: false, failures: [] })).toEqual(['pending', '1 of 2 signatures']);
    expect(describeVerdict({ count: 2, threshold: 2, met: true, failures: [] })).toEqual(['success', '2 of 2 signatures: policy met']);
    expect(describeVerdict({ count: 1, threshold: 1, met: false, failures: ['commit 0123456789ab has no commit signature'] })).toEqual([
      'failure',
      '1 of 1 signature; commit 0123456789ab has no commit signature',
    ]);
  });
});

describe('configuration', () => {
  const cfg = async (forgeKey: Record<string, unknown>, env: Record<string, string> = {}) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cs-forge-cfg-'));
    await writeFile(path.join(dir, 'c.json'), JSON.stringify({ repositories: [{ name: 'app', remote: 'git@example.org:a/b.git', forge: forgeKey }] }));
    try {
      return loadConfig({ env: { COUNTERSIGN_CONFIG: 'c.json', COUNTERSIGN_DATA_DIR: dir, ...env }, cwd: dir });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };

  it('secrets come literally, from the environment or from a file; a missing one stops the start naming the key', async () => {
    const c = await cfg({ repo: 'a/b', secretEnv: 'HOOK_SECRET', tokenEnv: 'STATUS_TOKEN' }, { HOOK_SECRET: 's3', STATUS_TOKEN: 't0' });
    expect(c.repositories[0].forge).toMatchObject({ type: 'github', repo: 'a/b', secret: 's3', token: 't0', apiUrl: 'https://api.github.com', context: 'countersign' });
    await expect(cfg({ repo: 'a/b', secretEnv: 'HOOK_SECRET' })).rejects.toThrow(/repositories\.app\.forge: secretEnv: the environment variable HOOK_SECRET is not set/);
    await expect(cfg({ repo: 'a/b', secret: 'x', secretEnv: 'HOOK_SECRET' })).rejects.toThrow(/give one of secret, secretEnv, secretFile/);
    await expect(cfg({ repo: 'a/b', secretFile: 'nope.txt' })).rejects.toThrow(/secretFile: cannot read .*nope\.txt/);
    await expect(cfg({ repo: 'a/b' })).rejects.toThrow(/give secret \(or secretEnv, secretFile\)/);
    await expect(cfg({ repo: 'not a repo', secret: 'x' })).rejects.toThrow(/owner\/name/);
    await expect(cfg({ type: 'forgejo', repo: 'a/b', secret: 'x' })).rejects.toThrow(/apiUrl: give the API base of your forgejo/);
    await expect(cfg({ type: 'gitea', repo: 'a/b', secret: 'x', apiUrl: 'https://git.example.org/api/v1', app: { appId: 1, installationId: 2, privateKey: 'k' } })).rejects.toThrow(/GitHub App credentials work with type "github" only/);
  });
});

describe('push', () => {
  it('fetches the repository, so a pushed commit is known at once without polling', async () => {
    const work = path.join(root, 'work');
    await writeFile(path.join(work, 'MORE.md'), 'More.\n');
    await gitIn(work, 'add', 'MORE.md');
    await gitIn(work, 'commit', '--quiet', '-m', 'More');
    await gitIn(work, 'push', '--quiet', 'origin', 'farewell');
    const pushed = (await gitIn(work, 'rev-parse', 'HEAD')).trim();
    const repo = app.repo('demo');
    const p = example('push');
    p.ref = 'refs/heads/farewell';
    p.after = pushed;
    const sent = Date.now();
    const r = await deliver({ event: 'push', payload: p });
    expect(r.body).toMatchObject({ event: 'push', outcome: 'fetched' });
    // Fetched while the delivery was handled (not from the 3-second cache), and the branch is there.
    expect(repo.lastFetchAt).toBeGreaterThanOrEqual(sent);
    expect((await gitIn(repo.dir, 'rev-parse', 'refs/remotes/origin/farewell')).trim()).toBe(pushed);
  });
});
