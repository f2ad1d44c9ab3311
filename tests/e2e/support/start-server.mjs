#!/usr/bin/env node
/**
 * Playwright's webServer: the real app, built and started the way `npm start` does, on its own
 * port, dist dir and an empty data dir (so every run starts with nobody enrolled and a freshly
 * made demo remote). The build's output is shown only if it fails, to keep test output quiet.
 *
 * E2E_SKIP_BUILD=1 reuses an existing build in the dist dir (for iterating on the tests only).
 */
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { E2E_ENV, ROOT, DATA_DIR, DIST_DIR, PORT } from './env.mjs';

const nextBin = createRequire(import.meta.url).resolve('next/dist/bin/next');
const env = { ...process.env, ...E2E_ENV };

rmSync(DATA_DIR, { recursive: true, force: true });

function run(args, { quiet }) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [nextBin, ...args], { cwd: ROOT, env, stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
    let out = '';
    child.stdout?.on('data', (d) => (out += d));
    child.stderr?.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else {
        process.stderr.write(out);
        reject(new Error(`next ${args[0]} failed (${signal ?? `exit ${code}`})`));
      }
    });
  });
}

const skipBuild = process.env.E2E_SKIP_BUILD === '1' && existsSync(path.join(ROOT, DIST_DIR, 'BUILD_ID'));
if (!skipBuild) {
  const started = Date.now();
  try {
    await run(['build'], { quiet: true });
  } catch (e) {
    console.error(`e2e: ${e.message}`);
    process.exit(1);
  }
  console.error(`e2e: built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

const server = spawn(process.execPath, [nextBin, 'start', '-p', String(PORT)], { cwd: ROOT, env, stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    server.kill(sig);
  });
}
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
