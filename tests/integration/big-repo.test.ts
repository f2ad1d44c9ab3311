/**
 * Large repositories on the server: its clones are made in the background (partial by default:
 * commits and trees, file contents fetched when a diff needs them) while the server answers and
 * says "cloning" with git's progress; each clone keeps a commit-graph with changed-path Bloom
 * filters and an index of what each branch reaches, refreshed after fetches, so a review page asks
 * no history-walking question of git; a page for a commit the server has never waits for the remote.
 *
 * The remote is a generated history (git fast-import, with merges), reached over a "slow
 * network": an ssh wrapper that passes the first 64 KiB of upload-pack's answer and holds the
 * rest until the test opens the gate.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as review from '../../app/api/repos/[repo]/commits/[commit]/route';
import { generateHistory } from '../../bench/big-repo-history';
import { hasObjectLocally } from '../../lib/git/clone';
import { commitGraphStats } from '../../lib/git/commit-graph';
import { gitProcessStats } from '../../lib/git/run';
import { closeGlobalApp, getApp, type App } from '../../lib/server/app';
import { gitIn } from './app-harness';
import * as repos from '../../app/api/repos/route';
import { call, enrollViaHttp } from './http-client';

const COMMITS = 1500;
let root: string;
let remote: string;
let mainline: string[];
let gate: string;
let app: App;
const log: string[] = [];
const origLog = console.log;

const get = (repo: string, commit: string) => call(review.GET, { params: { repo, commit } });
const clone = (name: string) => path.join(root, 'data', 'repos', name);
const missingBlobs = async (dir: string) =>
  (await gitIn(dir, 'rev-list', '--objects', '--missing=print', '--all')).split('\n').filter((l) => l.startsWith('?')).length;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'cs-big-'));
  remote = path.join(root, 'remote.git');
  ({ mainline } = await generateHistory(remote, { commits: COMMITS, files: 400 }));
  // The slow network: `ssh` that runs upload-pack locally and holds its answer after 64 KiB.
  gate = path.join(root, 'gate-open');
  const wrapper = path.join(root, 'slow-ssh.mjs');
  await writeFile(
    wrapper,
    `#!${process.execPath}
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
const [, cmd] = process.argv.slice(2);
const m = /^(git-[a-z-]+) '(.*)'$/.exec(cmd);
const child = spawn(m[1], [m[2]], { stdio: ['pipe', 'pipe', 'inherit'] });
process.stdin.pipe(child.stdin);
let sent = 0;
child.stdout.on('data', (chunk) => {
  sent += chunk.length;
  process.stdout.write(chunk);
  if (sent < 65536 || existsSync(${JSON.stringify(gate)})) return;
  child.stdout.pause();
  const t = setInterval(() => { if (existsSync(${JSON.stringify(gate)})) { clearInterval(t); child.stdout.resume(); } }, 50);
});
child.on('close', (code) => { process.stdout.end(); process.exitCode = code ?? 1; });
`,
  );
  await chmod(wrapper, 0o755);
  process.env.GIT_SSH_COMMAND = wrapper;
  process.env.GIT_SSH_VARIANT = 'simple';
  const config = path.join(root, 'countersign.config.json');
  await writeFile(
    config,
    JSON.stringify({
      dataDir: path.join(root, 'data'),
      port: 3000,
      repositories: [
        { name: 'big', remote: `ssh://slow${remote}` },
        { name: 'big-full', remote, clone: 'full' },
        // A remote that is not there yet: the clone is retried until it is.
        { name: 'later', remote: path.join(root, 'later.git') },
      ],
    }),
  );
  process.env.COUNTERSIGN_CONFIG = config;
  process.env.COUNTERSIGN_ADMIN_EMAIL = 'root@example.org';
  console.log = (l: string) => log.push(String(l));
  app = await getApp();
}, 600_000);

afterAll(async () => {
  console.log = origLog;
  await writeFile(gate, '').catch(() => {});
  await closeGlobalApp();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('a repository being cloned', () => {
  it('does not keep the server from answering: its pages say "cloning", with git\'s progress', async () => {
    const big = app.repos.get('big')!;
    // The app is open and the clone is not done (the remote's answer is held at the gate).
    expect(big.status().state).toBe('cloning');
    expect(existsSync(clone('big'))).toBe(false);
    await until(() => (big.status() as any).progress !== null);
    const page = await get('big', mainline[10]);
    expect(page.status).toBe(503);
    expect(page.body.error).toMatch(/^repository "big" is still being cloned from its remote \((?:Counting|Compressing|Receiving) objects: \d+%, [\d,]+ of [\d,]+\); try again in a moment$/);
    // The repository list says so too, with the progress.
    const admin = await enrollViaHttp(/http:\/\/localhost:3000\/invite\/[A-Za-z0-9_-]+/.exec(log.join('\n'))![0]);
    const list = await call(repos.GET, { cookie: admin.cookie });
    expect(list.body.find((r: any) => r.name === 'big')).toMatchObject({ state: 'cloning', progress: { phase: expect.any(String), percent: expect.any(Number) } });
    // Other repositories are served meanwhile.
    await app.repos.get('big-full')!.ready();
    expect((await get('big-full', mainline[10])).status).toBe(200);

    await writeFile(gate, '');
    await big.ready();
    expect(big.status()).toEqual({ state: 'ready' });
    const ok = await get('big', mainline[10]);
    expect(ok.status).toBe(200);
    expect(ok.body.title).toBe(`Change 11: file ${(11 * 7919) % 400}`);
    expect(log.join('\n')).toMatch(/cloned "big" \(partial\)/);
  }, 300_000);

  it('is partial unless configured "full": commits and trees only, file contents left on the remote', async () => {
    expect((await gitIn(clone('big'), 'config', 'extensions.partialClone')).trim()).toBe('origin');
    expect(Number((await gitIn(clone('big'), 'rev-list', '--count', 'origin/main')).trim())).toBe(COMMITS + Math.floor(COMMITS / 10));
    expect(await missingBlobs(clone('big'))).toBeGreaterThan(COMMITS / 2);
    expect(await missingBlobs(clone('big-full'))).toBe(0);
    await expect(gitIn(clone('big-full'), 'config', 'extensions.partialClone')).rejects.toThrow();
  });

  it('whose remote cannot be reached is tried again until it can, and says why meanwhile', async () => {
    const later = app.repos.get('later')!;
    await until(() => (later.status() as any).lastError !== null);
    expect(later.status()).toMatchObject({ state: 'cloning', lastError: expect.stringMatching(/later\.git/) });
    const page = await get('later', mainline[0]);
    expect(page.status).toBe(503);
    expect(page.body.error).toBe('repository "later" is still being cloned from its remote; the last attempt could not reach the remote, and it is tried again; try again in a moment');
    // The remote appears (made aside, then moved into place whole).
    const { mainline: laterLine } = await generateHistory(path.join(root, 'making', 'later.git'), { commits: 5 });
    await rename(path.join(root, 'making', 'later.git'), path.join(root, 'later.git'));
    await later.ready();
    expect((await get('later', laterLine[4])).body.title).toMatch(/^Change 5:/);
  }, 120_000);
});

describe('history questions', () => {
  it('a commit-graph with Bloom filters covers every commit, and a fetch that brings commits extends it', async () => {
    const big = app.repos.get('big')!;
    await big.upkeepDone();
    const all = async () => Number((await gitIn(clone('big'), 'rev-list', '--count', '--all')).trim());
    const before = commitGraphStats(clone('big'));
    expect(before.bloom).toBe(true);
    expect(before.commits).toBe(await all());

    // Three commits land on the remote's main, and the server is told (as a push event would).
    let tip = mainline[mainline.length - 1];
    const tree = (await gitIn(remote, 'rev-parse', `${tip}^{tree}`)).trim();
    for (let i = 0; i < 3; i++) tip = (await gitIn(remote, 'commit-tree', tree, '-p', tip, '-m', `Later ${i}`)).trim();
    await gitIn(remote, 'update-ref', 'refs/heads/main', tip);
    expect((await big.refresh({ maxAgeMs: 0 })).ok).toBe(true);
    await big.upkeepDone();
    const after = commitGraphStats(clone('big'));
    expect(after.commits).toBe(before.commits + 3);
    expect(after.commits).toBe(await all());
    expect(after.bloom).toBe(true);
    await gitIn(clone('big'), 'commit-graph', 'verify');
  }, 120_000);

  it('which branches contain a deep commit is answered without walking history, and agrees with git', async () => {
    const big = app.repos.get('big')!;
    // A release branch made from early history; the server fetches it.
    await gitIn(remote, 'update-ref', 'refs/heads/release-1', mainline[20]);
    expect((await big.refresh({ maxAgeMs: 0 })).ok).toBe(true);
    const asGit = async (c: string) =>
      (await gitIn(clone('big'), 'for-each-ref', `--contains=${c}`, '--format=%(refname:short)', 'refs/remotes/origin/'))
        .split('\n')
        .map((b) => b.replace(/^origin\//, ''))
        .filter((b) => b && b !== 'origin' && b !== 'HEAD')
        .sort();
    // Right whether or not the index has caught up with the new branch yet.
    const early = await get('big', mainline[5]);
    expect(early.body.branches).toEqual(await asGit(mainline[5]));
    expect(early.body.branches).toEqual(['main', 'release-1']);

    await big.upkeepDone();
    const walks = () => (gitProcessStats.byCommand['git merge-base'] ?? 0) + (gitProcessStats.byCommand['git rev-list'] ?? 0);
    const before = walks();
    for (const [c, expected] of [
      [mainline[5], ['main', 'release-1']],
      [mainline[100], ['main']],
      [mainline[COMMITS - 2], ['main']],
    ] as const) {
      const page = await get('big', c);
      expect(page.status).toBe(200);
      expect(page.body.branches).toEqual(expected);
      expect(page.body.branches).toEqual(await asGit(c));
    }
    expect(walks() - before).toBe(0);
  }, 120_000);
});

describe('file contents on demand', () => {
  it('a diff on the partial clone fetches the blobs it shows; with the remote gone, what was fetched is still served', async () => {
    const c = mainline[700];
    const changed = (await gitIn(clone('big'), 'diff-tree', '--no-commit-id', '--name-only', '-r', `${c}^1`, c)).trim();
    const blob = (await gitIn(clone('big'), 'rev-parse', `${c}:${changed}`)).trim();
    expect(await hasObjectLocally(clone('big'), blob)).toBe(false);
    const page = await get('big', c);
    expect(page.status).toBe(200);
    expect(JSON.stringify(page.body.diff)).toContain('changed in 701');
    expect(await hasObjectLocally(clone('big'), blob)).toBe(true);

    // The remote goes away: the page of a commit whose contents are here is still served, at
    // once (the freshness fetch runs behind it and fails); one whose contents never came says so.
    await rename(remote, `${remote}.away`);
    try {
      const big = app.repos.get('big')!;
      big.lastFetchAt = 0;
      expect((await get('big', c)).status).toBe(200);
      const other = await get('big', mainline[900]);
      expect(other.status).toBe(502);
      expect(other.body.error).toMatch(/git operation failed/);
    } finally {
      await rename(`${remote}.away`, remote);
    }
  }, 120_000);
});

async function until(cond: () => boolean, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`condition not met in time; server log: ${log.join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
