/**
 * A production Next.js build and server of this checkout, for the benchmarks that measure pages
 * over real HTTP (bench/first-load-js.ts, bench/page-bytes.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const nextBin = createRequire(import.meta.url).resolve('next/dist/bin/next');

/** `--name value` from the command line. */
export function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

export function runNext(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, [nextBin, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  // Drained, so a chatty server never blocks on a full pipe.
  child.stdout?.resume();
  child.stderr?.on('data', (d) => process.env.BENCH_VERBOSE && process.stderr.write(d));
  return child;
}

/** `next build`; its output is shown only if it fails. Returns the seconds it took. */
export async function buildNext(env: NodeJS.ProcessEnv): Promise<number> {
  const started = Date.now();
  const child = spawn(process.execPath, [nextBin, 'build'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) {
    process.stderr.write(out);
    throw new Error(`next build failed (exit ${code})`);
  }
  return (Date.now() - started) / 1000;
}

/** GET with the raw (still compressed, if asked) body and its headers. */
export function getRaw(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** Waits until the server at `base` answers at all (GET /api/me answers anyone). */
export async function waitForServer(child: ChildProcess, base: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`the server exited (code ${child.exitCode})`);
    try {
      if ((await getRaw(`${base}/api/me`)).status < 500) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the server did not answer on ${base} within ${timeoutMs / 1000} s`);
}
