/**
 * The review page's first-load JavaScript: what a phone downloads before the page can run, on
 * first visit to /r/demo/<commit>. Builds the app (or reuses a build), starts it on an empty data
 * dir, fetches the page's HTML, and sums the script chunks it references (`<script src>` under
 * /_next/static; `nomodule` polyfills are skipped, modern browsers never fetch them):
 *
 * - as served: the gzip bytes `next start` actually sends for each chunk (Accept-Encoding: gzip);
 * - gzip -9 of each chunk, for comparison with figures measured that way.
 *
 * Target: at most 150 kB gzipped (issue 3). kB = 1000 bytes; KiB also printed.
 *
 *   npx tsx bench/first-load-js.ts [--dist DIR] [--reuse] [--port N]
 *
 * --dist DIR   the Next.js dist dir (default .next-bench); --reuse skips the build when DIR holds one.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { argValue, buildNext, getRaw, ROOT, runNext, waitForServer } from './support/next-server';

const TARGET_KB = 150;

const DIST = argValue('dist') ?? '.next-bench';
const PORT = Number(argValue('port') ?? 3200);
const REUSE = process.argv.includes('--reuse');
const BASE = `http://localhost:${PORT}`;

/** The script chunks a page's HTML makes a modern browser fetch, in document order. */
function scriptSources(html: string): string[] {
  const srcs: string[] = [];
  for (const m of html.matchAll(/<script\b([^>]*)>/gi)) {
    const attrs = m[1];
    if (/\snomodule\b/i.test(attrs)) continue;
    const src = /\ssrc="([^"]+)"/i.exec(attrs)?.[1];
    if (src) srcs.push(src.replace(/&amp;/g, '&'));
  }
  return [...new Set(srcs)];
}

const kB = (n: number) => `${(n / 1000).toFixed(1)} kB`;
const KiB = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

async function main() {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'countersign-bench-fljs-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NEXT_DIST_DIR: DIST,
    NEXT_TELEMETRY_DISABLED: '1',
    PORT: String(PORT),
    COUNTERSIGN_DATA_DIR: dataDir,
    COUNTERSIGN_ORIGINS: BASE,
  };
  let server: ChildProcess | null = null;
  try {
    if (REUSE && existsSync(path.join(ROOT, DIST, 'BUILD_ID'))) {
      console.log(`reusing the build in ${DIST}`);
    } else {
      console.log(`building into ${DIST}…`);
      console.log(`built in ${(await buildNext(env)).toFixed(0)} s`);
    }
    server = runNext(['start', '-p', String(PORT)], env);
    await waitForServer(server, BASE, 60_000);

    // The newest demo commit: every review page loads the same route chunks.
    const commit = execFileSync('git', ['--git-dir', path.join(dataDir, 'demo-remote.git'), 'rev-parse', 'main'], { encoding: 'utf8' }).trim();
    const pagePath = `/r/demo/${commit}`;
    const page = await getRaw(`${BASE}${pagePath}`);
    if (page.status !== 200) throw new Error(`${pagePath} answered ${page.status}`);
    const html = page.body.toString('utf8');
    const srcs = scriptSources(html);
    if (srcs.length === 0) throw new Error(`${pagePath} references no scripts: is this a Next.js page?`);

    const rows: { src: string; raw: number; served: number; gz9: number }[] = [];
    for (const src of srcs) {
      const url = new URL(src, BASE).href;
      const served = await getRaw(url, { 'accept-encoding': 'gzip' });
      if (served.status !== 200) throw new Error(`${src} answered ${served.status}`);
      const plain = await getRaw(url);
      const encoding = served.headers['content-encoding'];
      rows.push({
        src,
        raw: plain.body.length,
        served: encoding === 'gzip' ? served.body.length : gzipSync(plain.body).length,
        gz9: gzipSync(plain.body, { level: 9 }).length,
      });
    }
    const sum = (k: 'raw' | 'served' | 'gz9') => rows.reduce((a, r) => a + r[k], 0);
    const inline = [...html.matchAll(/<script\b(?![^>]*\ssrc=)[^>]*>([\s\S]*?)<\/script>/gi)].map((m) => m[1]).join('');

    console.log(`\nreview page ${pagePath} (signed out, first visit): ${rows.length} script chunks`);
    console.log('  gzip as served   gzip -9       raw  chunk');
    for (const r of [...rows].sort((a, b) => b.served - a.served)) {
      console.log(`  ${kB(r.served).padStart(13)} ${kB(r.gz9).padStart(9)} ${kB(r.raw).padStart(9)}  ${r.src.replace(/^\/_next\/static\//, '')}`);
    }
    const total = sum('served');
    console.log(`  ${kB(total).padStart(13)} ${kB(sum('gz9')).padStart(9)} ${kB(sum('raw')).padStart(9)}  total`);
    console.log(`\nfirst-load JS: ${kB(total)} gzipped as served (${KiB(total)}; gzip -9 ${kB(sum('gz9'))} = ${KiB(sum('gz9'))}), target ≤ ${TARGET_KB} kB: ${total <= TARGET_KB * 1000 ? 'met' : 'NOT met'}`);
    console.log(`not counted above: inline scripts (RSC payload) ${kB(gzipSync(Buffer.from(inline)).length)} gz; whole HTML ${kB(gzipSync(page.body).length)} gz`);
  } finally {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server!.once('exit', r));
    }
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`first-load-js: ${(e as Error).message}`);
  process.exitCode = 1;
});
