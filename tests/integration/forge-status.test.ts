/**
 * Status out: the commit status `countersign` on a pull request's head, posted with @octokit/rest
 * to a local stand-in for the forge's API that checks every request against GitHub's OpenAPI
 * description. It follows approvals made here ('line-written') and lines others pushed (a push
 * delivery fetches: 'fetched'), counted as on the change page; the forge being down delays a
 * status (retried with backoff, across a restart) and the latest state then arrives once.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import examples from '@octokit/webhooks-examples';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../lib/config/config';
import { canPostStatuses, postCommitStatus } from '../../lib/forge/client';
import { getStatus } from '../../lib/forge/outbox';
import { backoffMs } from '../../lib/forge/sender';
import { signBody } from '../../lib/forge/signature';
import { handleWebhook } from '../../lib/forge/webhook';
import { approveOptions, approveVerify } from '../../lib/server/approve';
import { openApp, type App } from '../../lib/server/app';
import { runCli } from '../support/cli';
import { makeKey, type KeygenKey } from '../support/ssh-keygen';
import { getAssertion, toAuthenticationResponseJSON } from '../support/soft-authenticator';
import { enroll, gitIn, ORIGIN, trustOnRemote, type Enrolled, type Harness } from './app-harness';
import { startFakeForge, type FakeForge } from './forge-fake';

const SECRET = 'status test secret';
const FORGE_REPO = 'Codertocat/Hello-World';
const TOKEN = 'ghp_status_test_token';

let root: string;
let config: Config;
let app: App;
let forge: FakeForge;
let remote: string;
let work: string;
let bob: Enrolled;
let carol: Enrolled;
let dave: KeygenKey;
let head: string;
let base: string;

const openOpts = { log: () => {}, retryMs: 100, maxRetryMs: 400 };

function prDelivery(action: string, sha: string): any {
  const p = structuredClone((examples as any[]).find((e) => e.name === 'pull_request').examples.find((x: any) => x.action === action));
  p.number = 1;
  p.pull_request.number = 1;
  p.pull_request.html_url = `https://github.com/${FORGE_REPO}/pull/1`;
  p.pull_request.head.sha = sha;
  p.pull_request.base.ref = 'main';
  p.pull_request.draft = false;
  return p;
}

/** A signed delivery through the function the route calls (this test's app is not the process-wide one). */
async function deliver(event: string, payload: unknown) {
  const raw = JSON.stringify(payload);
  const req = new Request(`${ORIGIN}/api/hooks/github`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': randomUUID(), 'x-hub-signature-256': await signBody(SECRET, raw) },
    body: raw,
  });
  return handleWebhook(app, req, raw);
}

async function approveChange(who: Enrolled, commit: string) {
  const opts = await approveOptions(app, who.user, 'demo', commit, { verdict: 'approve', base });
  const a = getAssertion(who.passkey, { challenge: new Uint8Array(Buffer.from(opts.options.challenge, 'base64url')), origin: ORIGIN });
  return approveVerify(app, who.user, 'demo', commit, { approvalId: opts.approvalId, base, response: toAuthenticationResponseJSON(a) as any });
}

async function waitFor<T>(fn: () => T | Promise<T>, ok: (v: T) => boolean, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A new commit on the pull request's branch, pushed; returns the new head. */
async function pushToBranch(file: string): Promise<string> {
  await writeFile(path.join(work, file), `${file}\n`);
  await gitIn(work, 'add', file);
  await gitIn(work, 'commit', '--quiet', '-m', `Add ${file}`);
  await gitIn(work, 'push', '--quiet', 'origin', 'farewell');
  return (await gitIn(work, 'rev-parse', 'HEAD')).trim();
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'cs-forge-status-'));
  forge = await startFakeForge({ token: TOKEN });
  const dataDir = path.join(root, 'data');
  remote = path.join(dataDir, 'demo-remote.git');
  await writeFile(
    path.join(root, 'countersign.config.json'),
    JSON.stringify({ demo: true, repositories: [{ name: 'demo', remote, forge: { repo: FORGE_REPO, secret: SECRET, tokenFile: 'forge-token', apiUrl: forge.url } }] }),
  );
  await writeFile(path.join(root, 'forge-token'), `${TOKEN}\n`);
  config = loadConfig({ env: { COUNTERSIGN_CONFIG: 'countersign.config.json', COUNTERSIGN_DATA_DIR: dataDir, PORT: '3000' }, cwd: root });
  app = await openApp(config, openOpts);
  bob = await enroll(app, 'bob@example.org');
  carol = await enroll(app, 'carol@example.org');
  dave = await makeKey(root, 'ed25519', 'dave');
  const h: Harness = { root, config, app, remote, commits: [], close: async () => {} };
  await trustOnRemote(h, [bob.allowedSignersLine, carol.allowedSignersLine, `dave@example.org ${dave.publicKeyText}`]);
  head = (await gitIn(remote, 'rev-parse', 'farewell')).trim();
  base = (await gitIn(remote, 'merge-base', 'main', 'farewell')).trim();
  work = path.join(root, 'work');
  await gitIn(root, 'clone', '--quiet', '--branch', 'farewell', remote, work);
});

afterAll(async () => {
  await app.close();
  await forge.close();
  await rm(root, { recursive: true, force: true });
});

describe('the commit status follows the approvals', () => {
  it('pending "0 of 2", "1 of 2" after one approval, success after the second; every request as GitHub\'s OpenAPI describes it', async () => {
    expect((await deliver('pull_request', prDelivery('opened', head))).outcome).toBe('requested');
    await waitFor(() => forge.statuses(head), (s) => s.length === 1);
    await approveChange(bob, head);
    await waitFor(() => forge.statuses(head), (s) => s.length === 2);
    await approveChange(carol, head);
    const statuses = await waitFor(() => forge.statuses(head), (s) => s.length === 3);
    const link = `http://localhost:3000/r/demo/${head}?base=${base}&from=main`;
    expect(statuses).toEqual([
      { sha: head, state: 'pending', description: '0 of 2 signatures', target_url: link, context: 'countersign' },
      { sha: head, state: 'pending', description: '1 of 2 signatures', target_url: link, context: 'countersign' },
      { sha: head, state: 'success', description: '2 of 2 signatures: policy met', target_url: link, context: 'countersign' },
    ]);
    expect(forge.accepted.every((a) => a.operationId === 'repos/create-commit-status' && a.authorization === `token ${TOKEN}`)).toBe(true);
    expect(forge.accepted.map((a) => a.path)).toContain(`/repos/${FORGE_REPO}/statuses/${head}`);
    expect(forge.violations).toEqual([]);
  });

  it('lines others pushed (the CLI, another server) count once a push delivery fetches them', async () => {
    const h2 = await pushToBranch('cli.md');
    await deliver('pull_request', prDelivery('synchronize', h2));
    await waitFor(() => forge.statuses(h2), (s) => s.length === 1);
    expect(forge.statuses(h2)[0].description).toBe('0 of 2 signatures');
    await approveChange(bob, h2);
    await waitFor(() => forge.statuses(h2), (s) => s.length === 2);
    // Dave signs with an SSH key from his desktop; the notes are pushed to the remote, not through this server.
    const r = await runCli(['sign', '--repo', work, '--key', dave.privatePath, '--identity', 'dave@example.org', '--base', 'origin/main', h2]);
    expect(r.code, r.stderr).toBe(0);
    const push = structuredClone((examples as any[]).find((e) => e.name === 'push').examples[0]);
    push.ref = 'refs/notes/countersign';
    expect((await deliver('push', push)).outcome).toBe('fetched');
    const statuses = await waitFor(() => forge.statuses(h2), (s) => s.length === 3);
    expect(statuses.map((s) => [s.state, s.description])).toEqual([
      ['pending', '0 of 2 signatures'],
      ['pending', '1 of 2 signatures'],
      ['success', '2 of 2 signatures: policy met'],
    ]);
    head = h2;
  });

  it('recomputing with nothing new posts nothing', async () => {
    const before = forge.accepted.length;
    await app.repo('demo').refresh({ maxAgeMs: 0 });
    await deliver('pull_request', prDelivery('reopened', head));
    await new Promise((r) => setTimeout(r, 500));
    expect(forge.accepted.length).toBe(before);
  });
});

describe('the forge being down delays a status, never loses it', () => {
  it('retried with backoff while it is down; then the latest state arrives, once', async () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffMs(n, 100, 400))).toEqual([100, 200, 400, 400, 400]);
    await forge.down();
    const h3 = await pushToBranch('down.md');
    await deliver('pull_request', prDelivery('synchronize', h3));
    await approveChange(bob, h3);
    await approveChange(carol, h3);
    // Wanted, tried and failed (more than once), not posted.
    const row = await waitFor(() => getStatus(app.db, 'demo', h3), (r) => !!r && r.state === 'success' && r.attempts >= 2);
    expect(row).toMatchObject({ state: 'success', description: '2 of 2 signatures: policy met', postedVersion: 0 });
    expect(row!.lastError).toBeTruthy();
    await forge.up();
    const statuses = await waitFor(() => forge.statuses(h3), (s) => s.length > 0);
    await new Promise((r) => setTimeout(r, 1000)); // nothing more follows
    expect(forge.statuses(h3)).toEqual([statuses[0]]);
    expect(statuses[0]).toMatchObject({ state: 'success', description: '2 of 2 signatures: policy met' });
    expect(forge.violations).toEqual([]);
    head = h3;
  });

  it('a status still waiting when the server stops is posted after the restart', async () => {
    await forge.down();
    const h4 = await pushToBranch('restart.md');
    await deliver('pull_request', prDelivery('synchronize', h4));
    await waitFor(() => getStatus(app.db, 'demo', h4), (r) => !!r && r.attempts >= 1);
    await app.close();
    await forge.up();
    expect(forge.statuses(h4)).toEqual([]);
    app = await openApp(config, openOpts);
    const statuses = await waitFor(() => forge.statuses(h4), (s) => s.length > 0);
    await new Promise((r) => setTimeout(r, 500));
    expect(forge.statuses(h4)).toEqual([statuses[0]]);
    expect(statuses[0]).toMatchObject({ state: 'pending', description: '0 of 2 signatures' });
  });
});

describe('GitHub App credentials', () => {
  it('the App authenticates with a JWT for an installation token, then posts the status with it', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const { privateKey, publicKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, // as GitHub hands out App keys
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const appForge = await startFakeForge({ token: 'unused', app: { appId: '4242', installationId: 77, publicKeyPem: publicKey, installationToken: 'ghs_installation_token' } });
    try {
      await writeFile(path.join(root, 'app.pem'), privateKey);
      await writeFile(
        path.join(root, 'app.json'),
        JSON.stringify({ repositories: [{ name: 'app', remote, forge: { repo: FORGE_REPO, secret: 's', apiUrl: appForge.url, app: { appId: 4242, installationId: 77, privateKeyFile: 'app.pem' } } }] }),
      );
      const c = loadConfig({ env: { COUNTERSIGN_CONFIG: 'app.json', COUNTERSIGN_DATA_DIR: path.join(root, 'unused') }, cwd: root });
      const f = c.repositories[0].forge!;
      expect(canPostStatuses(f)).toBe(true);
      await postCommitStatus(f, { sha: head, state: 'success', description: '2 of 2 signatures: policy met', targetUrl: 'http://localhost:3000/r/app/x' });
      expect(appForge.violations).toEqual([]);
      expect(appForge.accepted.map((a) => [a.operationId, a.authorization?.replace(/^bearer \S+$/i, 'bearer <jwt>')])).toEqual([
        ['apps/create-installation-access-token', 'bearer <jwt>'],
        ['repos/create-commit-status', 'token ghs_installation_token'],
      ]);
      expect(appForge.statuses(head)).toMatchObject([{ state: 'success', context: 'countersign' }]);
    } finally {
      await appForge.close();
    }
  });
});
