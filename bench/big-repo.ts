/**
 * Large repositories: review page server time for a commit deep in a 100k-commit history against
 * the same page on a 10-commit repository (same run, same server), and the server's clone of the
 * large history made partial (`--filter=blob:none`) and full: time and size. Also: what keeping
 * the commit-graph costs after a fetch (fetch.writeCommitGraph against a separate split write),
 * and the history query the index replaces, as git answers it with and without a commit-graph.
 *
 *   npx tsx bench/big-repo.ts [commits]      (default 100000; `npm run bench:big-repo`)
 *
 * The histories are generated here with `git fast-import` (bench/big-repo-history.ts): one
 * commit in ten is a merge. The page loader is timed in-process: resolveReviewRevision +
 * getReview(…, { diff: 'page' }), what app/r/[repo]/[commit] calls, for an anonymous viewer.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../lib/config/config';
import { makeClone } from '../lib/git/clone';
import { commitGraphStats, writeCommitGraph } from '../lib/git/commit-graph';
import { buildReachIndex } from '../lib/git/reach-index';
import { gitProcessStats } from '../lib/git/run';
import { openApp } from '../lib/server/app';
import { resolveReviewRevision } from '../lib/server/change';
import { getReview } from '../lib/server/review';
import { generateHistory } from './big-repo-history';

const COMMITS = Number(process.argv[2] ?? process.env.BIG_REPO_COMMITS ?? 100_000);
const SAMPLES = Number(process.env.BIG_REPO_SAMPLES ?? 100);

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', maxBuffer: 1 << 30 });
const ms = (t0: number) => performance.now() - t0;
const fmt = (x: number) => `${x.toFixed(1)} ms`;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

async function du(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? await du(p) : (await stat(p)).size;
  }
  return total;
}

function timeGit(cwd: string, args: string[], n = 5): number {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    git(cwd, ...args);
    xs.push(ms(t0));
  }
  return pct(xs, 50);
}

/** `n` new commits on the remote's main (what a push brings). */
function pushCommits(remote: string, n: number, label: string): void {
  let tip = git(remote, 'rev-parse', 'main').trim();
  const tree = git(remote, 'rev-parse', 'main^{tree}').trim();
  for (let i = 0; i < n; i++) tip = git(remote, 'commit-tree', tree, '-p', tip, '-m', `${label} ${i}`).trim();
  git(remote, 'update-ref', 'refs/heads/main', tip);
}

async function main() {
  const root = await mkdtemp(path.join(tmpdir(), 'cs-bench-big-'));
  try {
    console.log(`Large repositories: ${COMMITS.toLocaleString('en')} commits (one in ten a merge) against 10, git ${git(root, 'version').trim().replace('git version ', '')}`);
    let t0 = performance.now();
    const big = path.join(root, 'big.git');
    const { mainline } = await generateHistory(big, { commits: COMMITS, files: 1000, lines: 10 });
    const small = path.join(root, 'small.git');
    const { mainline: smallLine } = await generateHistory(small, { commits: 10 });
    const total = Number(git(big, 'rev-list', '--count', '--all').trim());
    console.log(`generated with git fast-import in ${(ms(t0) / 1000).toFixed(1)} s: ${total.toLocaleString('en')} commits, remote ${mb(await du(big))}`);

    // ---- the server's clone: partial against full
    console.log('\nClone of the large history (lib/git/clone.ts, from a local remote):');
    const clones: Record<string, string> = {};
    for (const mode of ['partial', 'full'] as const) {
      const dir = path.join(root, `clone-${mode}`);
      t0 = performance.now();
      await makeClone(dir, { remote: big, remoteName: 'origin', mode });
      const took = ms(t0);
      clones[mode] = dir;
      console.log(`  ${mode.padEnd(8)} ${(took / 1000).toFixed(1)} s, ${mb(await du(dir))}`);
    }

    // ---- upkeep: commit-graph and index on the partial clone
    const p = clones.partial;
    t0 = performance.now();
    await writeCommitGraph(p);
    console.log(`\nFirst commit-graph with Bloom filters (--split): ${(ms(t0) / 1000).toFixed(1)} s, ${commitGraphStats(p).commits.toLocaleString('en')} commits`);
    t0 = performance.now();
    const index = await buildReachIndex(p);
    console.log(`Reachability index: ${(ms(t0) / 1000).toFixed(1)} s for ${index.size.toLocaleString('en')} commits (built in the background after a fetch moves branches)`);

    console.log('\nAfter a fetch of 10 new commits (median of 3):');
    const withConfig: number[] = [];
    const separate: number[] = [];
    const writeOnly: number[] = [];
    for (let round = 0; round < 3; round++) {
      pushCommits(big, 10, `a${round}`);
      t0 = performance.now();
      git(p, '-c', 'fetch.writeCommitGraph=true', 'fetch', '--quiet', 'origin');
      withConfig.push(ms(t0));
      pushCommits(big, 10, `b${round}`);
      t0 = performance.now();
      git(p, 'fetch', '--quiet', 'origin');
      const fetchOnly = ms(t0);
      const t1 = performance.now();
      await writeCommitGraph(p);
      writeOnly.push(ms(t1));
      separate.push(fetchOnly + ms(t1));
    }
    const stats = commitGraphStats(p);
    console.log(`  fetch with fetch.writeCommitGraph=true        ${fmt(pct(withConfig, 50))}`);
    console.log(`  fetch, then commit-graph write --split         ${fmt(pct(separate, 50))} (of which the write ${fmt(pct(writeOnly, 50))}, off the request path)`);
    console.log(`  graph now: ${stats.layers} layers, ${stats.commits.toLocaleString('en')} commits, Bloom filters in every layer: ${stats.bloom}`);

    // ---- the query the index replaces
    const deep = mainline[Math.floor(COMMITS / 100)];
    const f = clones.full;
    const contains = ['for-each-ref', `--contains=${deep}`, 'refs/remotes'];
    console.log(`\n\`git for-each-ref --contains\` for a commit ${(COMMITS - Math.floor(COMMITS / 100)).toLocaleString('en')} commits below the tip (median of 5):`);
    console.log(`  no commit-graph    ${fmt(timeGit(f, ['-c', 'core.commitGraph=false', ...contains]))}`);
    console.log(`  with commit-graph  ${fmt(timeGit(p, contains))}`);

    // ---- the review page, server side
    const dataDir = path.join(root, 'data');
    const configFile = path.join(root, 'countersign.config.json');
    await writeFile(
      configFile,
      JSON.stringify({
        dataDir,
        repositories: [
          { name: 'big', remote: big },
          { name: 'big-full', remote: big, clone: 'full' },
          { name: 'small', remote: small },
        ],
      }),
    );
    const config = loadConfig({ env: { COUNTERSIGN_CONFIG: configFile }, cwd: root });
    t0 = performance.now();
    const app = await openApp(config, { control: false, log: () => {} });
    const opened = ms(t0);
    const repos = [...app.repos.values()];
    await Promise.all(repos.map((r) => r.ready()));
    const ready = ms(t0);
    await Promise.all(repos.map((r) => r.upkeepDone()));
    console.log(`\nServer: openApp returned in ${fmt(opened)}; both clones ready after ${(ready / 1000).toFixed(1)} s (partial), upkeep done after ${(ms(t0) / 1000).toFixed(1)} s`);
    try {
      const page = async (repo: string, commit: string) => {
        const t = performance.now();
        const { commit: c } = await resolveReviewRevision(app.repo(repo), commit);
        await getReview(app, repo, c.id, null, { diff: 'page' });
        return ms(t);
      };
      for (let i = 0; i < 5; i++) {
        await page('big', mainline[i]);
        await page('small', smallLine[i]);
      }
      const series = async (label: string, bigRepo: string, bigCommit: (i: number) => string, smallCommit: (i: number) => string) => {
        const b: number[] = [];
        const s: number[] = [];
        const before = { ...gitProcessStats.byCommand };
        for (let i = 0; i < SAMPLES; i++) {
          b.push(await page(bigRepo, bigCommit(i)));
          s.push(await page('small', smallCommit(i)));
        }
        const ratio = pct(b, 50) / pct(s, 50);
        const spawned = Object.entries(gitProcessStats.byCommand)
          .map(([k, v]) => [k, v - (before[k] ?? 0)] as const)
          .filter(([, v]) => v > 0)
          .map(([k, v]) => `${k} ${(v / SAMPLES / 2).toFixed(1)}`)
          .join(', ');
        console.log(`| ${label} | ${fmt(pct(b, 50))} | ${fmt(pct(b, 99))} | ${fmt(pct(s, 50))} | ${fmt(pct(s, 99))} | ${ratio.toFixed(2)}× |`);
        console.log(`    git processes per page (both repositories, background fetches included): ${spawned || 'none'}`);
      };
      console.log(`\nReview page server time, ${SAMPLES} loads each, interleaved:`);
      console.log('| commits asked for | large p50 | large p99 | 10-commit p50 | 10-commit p99 | p50 ratio |');
      console.log('|---|---|---|---|---|---|');
      const base = Math.floor(COMMITS / 100); // ~99% of the history above it
      await series('one deep commit again and again (partial clone)', 'big', () => mainline[base], () => smallLine[5]);
      await series('a different deep commit each time, full clone', 'big-full', (i) => mainline[base + 10 + i], (i) => smallLine[i % 10]);
      await series('a different deep commit each time, partial clone (its files fetched on first view)', 'big', (i) => mainline[base + 1000 + i], (i) => smallLine[i % 10]);
    } finally {
      await app.close();
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
