/**
 * Bytes of the review page's HTML for the largest commits we can think of, served by the
 * production build: generated with `git fast-import` onto branches of the demo remote (thousands
 * of files, a 50,000-line file, 200,000-character lines, a binary, hundreds of medium files),
 * each fetched as a phone would first load it (signed out; the signed-in page adds only the
 * statement preview). Prints the HTML bytes as sent (uncompressed) and gzipped, per page, and the
 * largest. Target (issue 8): at most 300 kB of HTML for any review page.
 *
 *   npx tsx bench/page-bytes.ts [--dist DIR] [--reuse] [--port N]
 *
 * --dist DIR   the Next.js dist dir (default .next-bench); --reuse skips the build when DIR holds one.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { BIG_COMMIT, makeBigCommit, type BigCommitShape } from '../tests/support/big-commit';
import { argValue, buildNext, getRaw, ROOT, runNext, waitForServer } from './support/next-server';

const TARGET_KB = 300;

const DIST = argValue('dist') ?? '.next-bench';
const PORT = Number(argValue('port') ?? 3201);
const REUSE = process.argv.includes('--reuse');
/** --save DIR writes each page's HTML there (to see where the bytes go). */
const SAVE = argValue('save');
const BASE = `http://localhost:${PORT}`;

const NONE: BigCommitShape = { smallFiles: 0, hugeLines: 0, longLines: 0, longLineChars: 0, binaryBytes: 0 };
const SHAPES: Array<{ name: string; shape: BigCommitShape }> = [
  { name: 'worst case: 3,000 files + 50k-line file + 5 lines of 200k chars + binary', shape: BIG_COMMIT },
  { name: '20,000 small files', shape: { ...NONE, smallFiles: 20_000 } },
  { name: 'one 50,000-line file', shape: { ...NONE, hugeLines: 50_000 } },
  { name: '500 files of 40 lines (each under the large-file size)', shape: { ...NONE, smallFiles: 500, smallLines: 40 } },
  { name: '60 files of 8 lines (all of it fits)', shape: { ...NONE, smallFiles: 60, smallLines: 8 } },
  { name: '2,000 lines of 5,000 chars in one file', shape: { ...NONE, longLines: 2000, longLineChars: 5000 } },
];

const kB = (n: number) => `${(n / 1000).toFixed(1)} kB`;

async function main() {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'countersign-bench-pages-'));
  const env: NodeJS.ProcessEnv = { ...process.env, NEXT_DIST_DIR: DIST, NEXT_TELEMETRY_DISABLED: '1', PORT: String(PORT), COUNTERSIGN_DATA_DIR: dataDir, COUNTERSIGN_ORIGINS: BASE };
  let server: ChildProcess | null = null;
  try {
    if (REUSE && existsSync(path.join(ROOT, DIST, 'BUILD_ID'))) console.log(`reusing the build in ${DIST}`);
    else {
      console.log(`building into ${DIST}…`);
      await buildNext(env);
    }
    server = runNext(['start', '-p', String(PORT)], env);
    await waitForServer(server, BASE, 240_000);
    if (SAVE) mkdirSync(SAVE, { recursive: true });
    const remote = path.join(dataDir, 'demo-remote.git');
    const main = execFileSync('git', ['--git-dir', remote, 'rev-parse', 'main'], { encoding: 'utf8' }).trim();
    const first = execFileSync('git', ['--git-dir', remote, 'rev-list', '--max-parents=0', 'main'], { encoding: 'utf8' }).trim();

    const pages: Array<{ name: string; path: string; ms?: number }> = [{ name: 'demo: newest commit on main', path: `/r/demo/${main}` }];
    for (const [i, s] of SHAPES.entries()) {
      const started = Date.now();
      const id = await makeBigCommit(remote, `bench-${i}`, main, s.shape);
      pages.push({ name: s.name, path: `/r/demo/${id}`, ms: Date.now() - started });
      if (i === 0) pages.push({ name: 'the worst case as a change from the first demo commit', path: `/r/demo/${id}?base=${first}` });
    }
    console.log('\n      HTML      gzip  status  page');
    let largest = 0;
    for (const p of pages) {
      let r = await getRaw(`${BASE}${p.path}`);
      // The server follows the remote's branches by fetching every few seconds: a new branch may take one more fetch.
      for (let tries = 0; r.status === 404 && tries < 30; tries++) {
        await new Promise((res) => setTimeout(res, 1000));
        r = await getRaw(`${BASE}${p.path}`);
      }
      // A change link is redirected once to its pinned address.
      if (r.status >= 300 && r.status < 400 && r.headers.location) r = await getRaw(new URL(r.headers.location, BASE).href);
      if (r.status !== 200) throw new Error(`${p.path} answered ${r.status}`);
      largest = Math.max(largest, r.body.length);
      if (SAVE) writeFileSync(path.join(SAVE, `page-${pages.indexOf(p)}.html`), r.body);
      console.log(`${kB(r.body.length).padStart(10)} ${kB(gzipSync(r.body).length).padStart(9)}  ${String(r.status).padStart(6)}  ${p.name}`);
    }
    console.log(`\nlargest review page: ${kB(largest)} of HTML, target ≤ ${TARGET_KB} kB: ${largest <= TARGET_KB * 1000 ? 'met' : 'NOT met'}`);
  } finally {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server!.once('exit', r));
    }
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`page-bytes: ${(e as Error).message}`);
  process.exitCode = 1;
});
