#!/usr/bin/env node
/**
 * `npm start`: builds the app and serves it on the configured port. `next start` alone listens on
 * $PORT or 3000 whatever the configuration file says, while the server's links and origins are
 * made from the configuration's port: so the configuration (file, then environment, exactly as
 * the server reads it: lib/config/config.ts) is read here first, a mistake in it stops before the
 * build with its one-line message, and next is told that port.
 *
 *   node scripts/start.mjs [--no-build] [--dev]
 *
 * --no-build serves the existing build (NEXT_DIST_DIR, default .next); --dev runs `next dev`.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const nextBin = createRequire(import.meta.url).resolve('next/dist/bin/next');

const { loadConfig } = await tsImport('../lib/config/config.ts', import.meta.url);
let config;
try {
  config = loadConfig();
} catch (e) {
  console.error(`countersign: cannot start: ${e.message}`);
  process.exit(1);
}
// The server process reads the configuration again; PORT makes sure it sees this same port.
const env = { ...process.env, PORT: String(config.port) };

function next(nextArgs) {
  const child = spawn(process.execPath, [nextBin, ...nextArgs], { cwd: root, env, stdio: 'inherit' });
  return child;
}

function wait(child) {
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}

if (args.has('--dev')) {
  process.exit(await serve(next(['dev', '-p', String(config.port)])));
}
if (!args.has('--no-build')) {
  const code = await wait(next(['build']));
  if (code !== 0) process.exit(code);
}
process.exit(await serve(next(['start', '-p', String(config.port)])));

function serve(child) {
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  return wait(child);
}
