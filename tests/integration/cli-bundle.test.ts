/**
 * The one-file CLI (issue 9): `npm run build:cli` bundles lib/cli into one ESM file that runs with
 * plain `node`, far from any node_modules, and behaves as the tsx entry point does — same output,
 * same exit codes. Built here by the same function the npm script calls, into a temp directory.
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from '../../scripts/build-cli.mjs';
import { runCli, type CliResult } from '../support/cli';
import { createDemoRepo, type DemoRepo } from '../support/demo-repo';
import { makeKey, makeTempDir, type KeygenKey } from '../support/ssh-keygen';

let tmp: { dir: string; cleanup: () => Promise<void> };
let bundle: string;
let built: { bytes: number; inputs: string[] };
let d: DemoRepo;
let bob: KeygenKey;

/** `node countersign.mjs …` as a CI job runs it: in a directory with no node_modules anywhere above. */
function runBundle(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle, ...args], { cwd: opts.cwd ?? tmp.dir, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

beforeAll(async () => {
  tmp = await makeTempDir('countersign-bundle-');
  const r = await buildCli({ outfile: join(tmp.dir, 'build', 'countersign.mjs') });
  built = r;
  // Only the file travels: a CI job downloads it into its workspace.
  await mkdir(join(tmp.dir, 'bin'));
  bundle = join(tmp.dir, 'bin', 'countersign.mjs');
  await copyFile(r.outfile, bundle);
  bob = await makeKey(tmp.dir, 'ed25519', 'bob');
  d = await createDemoRepo({ signers: [{ principal: 'bob@example.org', publicKey: bob.publicKeyText }], policy: { threshold: 1 }, commits: 2 });
}, 120_000);

afterAll(async () => {
  await d?.cleanup();
  await tmp?.cleanup();
});

describe('the bundle', () => {
  it('is one file of our own code: no package from node_modules, no server, store or configuration module', () => {
    expect(built.inputs.filter((p) => p.includes('node_modules'))).toEqual([]);
    expect(built.inputs.filter((p) => /^lib\/(server|store|config|auth)\//.test(p))).toEqual([]);
    expect(built.inputs).toContain('lib/cli/admin-server.bundle.ts');
    expect(built.bytes).toBeLessThan(400 * 1024);
  });

  it('starts with a shebang and prints the same --help as the tsx entry point, and the package version', async () => {
    expect((await readFile(bundle, 'utf8')).startsWith('#!/usr/bin/env node\n')).toBe(true);
    const [a, b] = [await runBundle(['--help']), await runCli(['--help'])];
    expect(a).toEqual(b);
    expect(a.code).toBe(0);
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8'));
    expect((await runBundle(['--version'])).stdout).toBe(`countersign ${pkg.version}\n`);
  });

  it('loads no command for --help: neither node:crypto nor node:child_process is loaded until a command needs them', async () => {
    const preload = join(tmp.dir, 'report-builtins.cjs');
    await writeFile(
      preload,
      "process.on('exit', () => require('fs').writeSync(2, 'LOADED ' + JSON.stringify(process.moduleLoadList.filter((m) => /^NativeModule (crypto|child_process)$/.test(m))) + '\\n'));\n",
    );
    const loaded = async (args: string[]) => {
      const r = await runBundle(args, { env: { NODE_OPTIONS: `--require ${preload}` } });
      return JSON.parse(/LOADED (.*)\n/.exec(r.stderr)![1]);
    };
    expect(await loaded(['--help'])).toEqual([]);
    expect(await loaded(['--version'])).toEqual([]);
    expect(await loaded(['verify', '--help'])).toEqual(expect.arrayContaining(['NativeModule crypto', 'NativeModule child_process']));
  });

  it('signs, and verifies a signed commit (exit 0) and an unsigned one (exit 1) exactly as the tsx CLI does', async () => {
    const signed = d.commits[0].id;
    const unsigned = d.commits[1].id;
    const s = await runBundle(['sign', '--repo', d.clone, '--key', bob.privatePath, '--identity', 'bob@example.org', signed]);
    expect(s.code, s.stderr).toBe(0);
    const ci = await d.cloneAgain('ci');
    const cases: string[][] = [
      ['verify', signed],
      ['verify', unsigned],
      ['verify', '--json', signed, unsigned],
      ['verify', '--range', `${d.policyCommit}..${unsigned}`],
      ['verify', 'no-such-commit'],
      ['verify', '--nope'],
      ['nope'],
    ];
    const codes: number[] = [];
    for (const args of cases) {
      const viaBundle = await runBundle([...args.slice(0, 1), '--repo', ci, ...args.slice(1)]);
      const viaTsx = await runCli([...args.slice(0, 1), '--repo', ci, ...args.slice(1)]);
      expect(viaBundle.code, `${args.join(' ')}: ${viaBundle.stderr}`).toBe(viaTsx.code);
      expect(viaBundle.stdout).toBe(viaTsx.stdout);
      codes.push(viaBundle.code);
    }
    expect(codes).toEqual([0, 1, 1, 1, 2, 2, 2]);
  });

  it('runs the gate for a CI event (pull_request) from a checkout', async () => {
    const cwd = await d.cloneAgain('ci-event');
    const event = join(tmp.dir, 'event.json');
    await writeFile(event, JSON.stringify({ pull_request: { number: 1, head: { sha: d.commits[0].id }, base: { sha: d.policyCommit, ref: 'main' } } }));
    const r = await runBundle(['ci'], { cwd, env: { GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: event, GITLAB_CI: '' } });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/OK: the change meets the policy \(1\/1: bob@example.org\)/);
  });

  it('says where to run the admin commands, whose database it does not include', async () => {
    expect((await runBundle(['invite', '--help'])).code).toBe(0);
    const r = await runBundle(['invite', 'new@example.org']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^countersign: invite works on the server's database, which the one-file CLI does not include: run `npx countersign invite …` from the Countersign installation of the server/);
  });
});
