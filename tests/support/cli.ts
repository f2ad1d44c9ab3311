/**
 * Drives the countersign CLI for tests, as a user would (`node bin/countersign.mjs …`), or
 * in-process through main() with captured streams when a test makes many calls.
 */
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { main } from '../../lib/cli/main';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI_BIN = fileURLToPath(new URL('../../bin/countersign.mjs', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  /** Written to stdin (then closed). */
  input?: string | Uint8Array;
  env?: Record<string, string>;
}

/** Spawns the real CLI entry point. */
export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], {
      cwd: opts.cwd ?? PROJECT_ROOT,
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.stdin.on('error', () => {});
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
    child.stdin.end(opts.input === undefined ? undefined : Buffer.from(opts.input));
  });
}

/** Runs main() in this process with captured output: same code path minus the process start-up. */
export async function runCliInProcess(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdin: Readable.from(opts.input === undefined ? [] : [Buffer.from(opts.input)]),
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { ...process.env, ...opts.env },
    cwd: opts.cwd ?? PROJECT_ROOT,
  });
  return { code, stdout, stderr };
}

/** The shape every failure must have: one `countersign: …` line, no stack frames. */
export function expectOneLineError(r: CliResult): string {
  const lines = r.stderr.split('\n').filter(Boolean);
  if (r.code === 0) throw new Error(`expected a non-zero exit, got 0 (stdout: ${r.stdout})`);
  if (lines.length !== 1 || !lines[0].startsWith('countersign: ') || /\n\s+at /.test(r.stderr) || /\bat .*\.(ts|js|mjs):\d+/.test(r.stderr)) {
    throw new Error(`expected one "countersign: …" line on stderr, got:\n${r.stderr}`);
  }
  return lines[0];
}
