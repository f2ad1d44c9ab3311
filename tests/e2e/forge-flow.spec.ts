import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { expect, newPersonPage, test } from './support/fixtures';
import { OUTPUT_DIR, ROOT } from './support/env.mjs';
import { createPasskey, git, runProcess, scratchDir, snap, type RunResult } from './support/app';
import { addVirtualPasskey } from './support/passkey';
import { startFakeForge, type FakeForge } from '../integration/forge-fake';
import { signBody } from '../../lib/forge/signature';

/**
 * A forge in front of Countersign, end to end: GitHub (a local stand-in that checks every request
 * against GitHub's OpenAPI description) delivers a signed webhook for a two-commit pull request;
 * the request is in a reviewer's inbox on the phone with the pull request's number and title;
 * two reviewers approve it with their passkeys; the status `countersign` on the head turns from
 * pending to success on the forge; and the CI gate (`countersign ci`, the Action's command, fed
 * the same events) passes on the head and, after the merge button, on the landed merge.
 *
 * This spec runs its own server (the same build, its own port, data and configuration with a
 * forge), so the shared e2e server's configuration stays as every other spec expects it.
 */

const PORT = 3107;
const BASE = `http://localhost:${PORT}`;
const DATA = path.join(OUTPUT_DIR, 'e2e-forge-data');
const REMOTE = path.join(DATA, 'demo-remote.git');
const SECRET = 'e2e forge webhook secret';
const TOKEN = 'ghs_e2e_forge_token';
const FORGE_REPO = 'Codertocat/Hello-World';
const ENV: Record<string, string> = {
  COUNTERSIGN_CONFIG: path.join(OUTPUT_DIR, 'e2e-forge-config.json'),
  COUNTERSIGN_DATA_DIR: DATA,
  COUNTERSIGN_ORIGINS: BASE,
  PORT: String(PORT),
  NEXT_DIST_DIR: '.next-e2e',
  NEXT_TELEMETRY_DISABLED: '1',
};

// GitHub's published example deliveries (JSON, loaded as the package's main file).
const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as any[];

let server: ChildProcess | null = null;
let forge: FakeForge;

/** `countersign …` against this spec's own server. */
function run(args: string[], env: Record<string, string> = {}, cwd = ROOT): Promise<RunResult> {
  return runProcess(process.execPath, [path.join(ROOT, 'bin/countersign.mjs'), ...args], { cwd, env: { ...ENV, ...env } });
}

async function invite(email: string): Promise<string> {
  const r = await run(['invite', email]);
  if (r.code !== 0) throw new Error(`countersign invite: ${r.stderr}`);
  return r.stdout.trim();
}

async function enroll(page: Page, email: string, device: string): Promise<string> {
  return createPasskey(page, await invite(email), email, device);
}

function example(event: string, action?: string): any {
  const group = (examples as any[]).find((e) => e.name === event);
  return structuredClone(group.examples.find((x: any) => action === undefined || x.action === action));
}

async function deliver(event: string, payload: unknown): Promise<{ status: number; body: any }> {
  const raw = JSON.stringify(payload);
  const res = await fetch(`${BASE}/api/hooks/github`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': crypto.randomUUID(), 'x-hub-signature-256': await signBody(SECRET, raw) },
    body: raw,
  });
  return { status: res.status, body: await res.json() };
}

test.beforeAll(async () => {
  forge = await startFakeForge({ token: TOKEN });
  rmSync(DATA, { recursive: true, force: true });
  mkdirSync(DATA, { recursive: true });
  writeFileSync(
    ENV.COUNTERSIGN_CONFIG,
    JSON.stringify({ demo: true, repositories: [{ name: 'demo', remote: REMOTE, forge: { type: 'github', repo: FORGE_REPO, secret: SECRET, token: TOKEN, apiUrl: forge.url } }] }),
  );
  const nextBin = createRequire(import.meta.url).resolve('next/dist/bin/next');
  // Its output (the sender's retries, if any) in test-output/e2e-forge-server.log.
  const log = openSync(path.join(OUTPUT_DIR, 'e2e-forge-server.log'), 'w');
  server = spawn(process.execPath, [nextBin, 'start', '-p', String(PORT)], { cwd: ROOT, env: { ...process.env, ...ENV }, stdio: ['ignore', log, log] });
  closeSync(log);
  const until = Date.now() + 60_000;
  for (;;) {
    const up = await fetch(`${BASE}/api/signers`).then(
      (r) => r.status === 401,
      () => false,
    );
    if (up) break;
    if (Date.now() > until) throw new Error('the forge e2e server did not start');
    await new Promise((r) => setTimeout(r, 250));
  }
});

test.afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server!.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
  await forge?.close();
});

test('a webhook for a two-commit pull request → inbox on the phone → two approvals → status success → the CI gate passes on the head and on the merge', async ({ page, browser }, testInfo) => {
  test.skip(testInfo.project.name !== 'phone', 'the phone profile walks this flow');
  const tmp = scratchDir('forge');
  try {
    const head = (await git(['--git-dir', REMOTE, 'rev-parse', 'farewell'])).trim();
    const mainBefore = (await git(['--git-dir', REMOTE, 'rev-parse', 'main'])).trim();
    const forkPoint = (await git(['--git-dir', REMOTE, 'merge-base', 'main', 'farewell'])).trim();
    expect((await git(['--git-dir', REMOTE, 'rev-list', '--count', `${forkPoint}..${head}`])).trim()).toBe('2');

    let pr: any;
    let other!: Page;
    await test.step('two reviewers enroll on their phones; a maintainer trusts their keys', async () => {
      await addVirtualPasskey(page);
      const ritaLine = await enroll(page, 'rita.forge@e2e.test', 'Rita phone');
      other = await newPersonPage(browser, testInfo);
      await addVirtualPasskey(other);
      const samLine = await enroll(other, 'sam.forge@e2e.test', 'Sam phone');
      const clone = path.join(tmp.dir, 'trust');
      await git(['clone', '--quiet', REMOTE, clone]);
      const file = path.join(clone, '.countersign', 'allowed_signers');
      writeFileSync(file, readFileSync(file, 'utf8') + `${ritaLine}\n${samLine}\n`);
      await git(['add', '.countersign/allowed_signers'], clone);
      await git(['-c', 'commit.gpgsign=false', 'commit', '--quiet', '-m', 'Trust the reviewers'], clone);
      await git(['push', '--quiet', 'origin', 'HEAD:main'], clone);
    });

    await test.step('GitHub delivers "pull request #12 opened" (signed with the secret)', async () => {
      pr = example('pull_request', 'opened');
      pr.number = 12;
      Object.assign(pr.pull_request, { number: 12, title: 'Say goodbye to visitors', html_url: `https://github.com/${FORGE_REPO}/pull/12`, draft: false });
      pr.pull_request.head.sha = head;
      pr.pull_request.head.ref = 'farewell';
      pr.pull_request.base.ref = 'main';
      pr.pull_request.base.sha = (await git(['--git-dir', REMOTE, 'rev-parse', 'main'])).trim();
      const r = await deliver('pull_request', pr);
      expect(r).toEqual({ status: 200, body: expect.objectContaining({ outcome: 'requested', repo: 'demo' }) });
      await expect.poll(() => forge.statuses(head).map((s) => `${s.state}: ${s.description}`)).toEqual(['pending: 0 of 2 signatures']);
    });

    for (const who of ['Rita', 'Sam'] as const) {
      const p = who === 'Rita' ? page : other;
      await test.step(`${who} finds #12 in the inbox on the phone and approves the change`, async () => {
        await p.goto(`${BASE}/`);
        await expect(p.getByRole('heading', { name: 'Inbox' })).toBeVisible();
        // Known by the pull request's title, then its number and head commit, and the change's size.
        const card = p.getByRole('link', { name: /^Say goodbye to visitors.*#12 head: Document the farewell/ });
        await expect(card).toBeVisible();
        await expect(card).toContainText('2 commits from main');
        await expect(p.getByRole('link', { name: 'Pull request #12 on the forge' })).toHaveAttribute('href', `https://github.com/${FORGE_REPO}/pull/12`);
        if (who === 'Rita') await snap(p, testInfo, 'forge-01-inbox');
        await card.click();
        await expect(p).toHaveURL(new RegExp(`/r/demo/${head}\\?base=${forkPoint}`));
        await p.getByRole('button', { name: 'Approve', exact: true }).click();
        await expect(p.getByRole('status').getByRole('listitem')).toHaveText([/Signed$/, /Saved$/, /Published$/]);
      });
    }

    await test.step('the forge has the status: pending 1 of 2, then success, linking to the review page', async () => {
      await expect
        .poll(() => forge.statuses(head).map((s) => `${s.state}: ${s.description}`), { timeout: 20_000 })
        .toEqual(['pending: 0 of 2 signatures', 'pending: 1 of 2 signatures', 'success: 2 of 2 signatures: policy met']);
      const last = forge.statuses(head).at(-1)!;
      expect(last).toMatchObject({ context: 'countersign', target_url: `${BASE}/r/demo/${head}?base=${forkPoint}&from=main` });
      expect(forge.violations).toEqual([]);
    });

    await test.step('the CI gate (countersign ci on the pull_request event) passes on the head', async () => {
      const ci = path.join(tmp.dir, 'ci');
      await git(['clone', '--quiet', '--depth', '1', `file://${REMOTE}`, ci]);
      const event = path.join(tmp.dir, 'pull_request.json');
      writeFileSync(event, JSON.stringify(pr));
      const r = await run(['ci', '--repo', ci], { GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: event });
      expect(r.code, r.stdout + r.stderr).toBe(0);
    });

    await test.step('the merge button lands it; the gate passes on the push of the merge', async () => {
      const land = path.join(tmp.dir, 'land');
      await git(['clone', '--quiet', REMOTE, land]);
      const before = (await git(['rev-parse', 'HEAD'], land)).trim();
      expect(before).not.toBe(mainBefore); // main moved on (the trust commit) since the pull request branched
      await git(['-c', 'commit.gpgsign=false', 'merge', '--no-ff', '--quiet', '-m', 'Merge pull request #12 from Codertocat/farewell', 'origin/farewell'], land);
      await git(['push', '--quiet', 'origin', 'HEAD:main'], land);
      const after = (await git(['rev-parse', 'HEAD'], land)).trim();
      const push = example('push');
      Object.assign(push, { ref: 'refs/heads/main', before, after, forced: false, created: false, deleted: false });
      const event = path.join(tmp.dir, 'push.json');
      writeFileSync(event, JSON.stringify(push));
      const ci = path.join(tmp.dir, 'ci-push');
      await git(['clone', '--quiet', '--depth', '1', `file://${REMOTE}`, ci]);
      const r = await run(['ci', '--repo', ci], { GITHUB_EVENT_NAME: 'push', GITHUB_EVENT_PATH: event });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      // And the push delivery fetches it into the server (no polling), answering 200.
      expect((await deliver('push', push)).body.outcome).toBe('fetched');
      // The closed pull request leaves the inbox.
      const closed = structuredClone(pr);
      closed.action = 'closed';
      closed.pull_request.merged = true;
      expect((await deliver('pull_request', closed)).body.outcome).toBe('closed');
      await page.goto(`${BASE}/`);
      await expect(page.getByRole('heading', { name: 'Inbox' })).toBeVisible();
      await expect(page.getByRole('link', { name: /Say goodbye to visitors/ })).toHaveCount(0);
    });
  } finally {
    tmp.remove();
  }
});
