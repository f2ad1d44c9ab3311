/**
 * action.yml's own shell steps, run as a GitHub runner runs them (bash, RUNNER_TEMP, GITHUB_ENV,
 * the event in GITHUB_EVENT_NAME / GITHUB_EVENT_PATH), with a vendored one-file CLI (input
 * cli-path): the action passes an approved pull request and fails an unapproved one.
 * (actions/setup-node, the first step, is GitHub's; here Node is already there.)
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from '../../scripts/build-cli.mjs';
import { PROJECT_ROOT, runCli, type CliResult } from '../support/cli';
import { createDemoRepo, git, type DemoRepo } from '../support/demo-repo';
import { makeKey, makeTempDir } from '../support/ssh-keygen';

/** The `run: |` blocks of action.yml, in order, with the step's `env:` keys. */
async function actionSteps(): Promise<Array<{ name: string; script: string }>> {
  const lines = (await readFile(join(PROJECT_ROOT, 'action.yml'), 'utf8')).split('\n');
  const steps: Array<{ name: string; script: string }> = [];
  let name = '';
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s+- name: (.*)$/.exec(lines[i]);
    if (m) name = m[1];
    const run = /^(\s+)run: \|$/.exec(lines[i]);
    if (!run) continue;
    const body: string[] = [];
    let indent = -1;
    for (i++; i < lines.length; i++) {
      const l = lines[i];
      if (l.trim() === '') {
        body.push('');
        continue;
      }
      const ind = l.length - l.trimStart().length;
      if (indent < 0) indent = ind;
      if (ind < indent) break;
      body.push(l.slice(indent));
    }
    i--;
    steps.push({ name, script: body.join('\n') });
  }
  return steps;
}

function bash(script: string, env: Record<string, string>, cwd: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-e', '-c', script], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
  });
}

let tmp: { dir: string; cleanup: () => Promise<void> };
let d: DemoRepo;
let vendored: string;

beforeAll(async () => {
  tmp = await makeTempDir('countersign-action-');
  const bob = await makeKey(tmp.dir, 'ed25519', 'bob');
  d = await createDemoRepo({ signers: [{ principal: 'bob@example.org', publicKey: bob.publicKeyText }], policy: { threshold: 1 }, commits: 2 });
  const s = await runCli(['sign', '--repo', d.clone, '--key', bob.privatePath, '--identity', 'bob@example.org', '--base', d.policyCommit, d.commits[0].id]);
  expect(s.code, s.stderr).toBe(0);
  vendored = (await buildCli({ outfile: join(tmp.dir, 'vendor', 'countersign.mjs') })).outfile;
}, 120_000);

afterAll(async () => {
  await d?.cleanup();
  await tmp?.cleanup();
});

describe('action.yml', () => {
  it('gets the vendored CLI (checking its SHA-256) and runs countersign ci on the job\'s pull_request event', async () => {
    const steps = await actionSteps();
    expect(steps.map((s) => s.name)).toEqual(['Get the one-file CLI', 'countersign ci']);
    const sha = createHash('sha256').update(await readFile(vendored)).digest('hex');

    const job = async (head: string, label: string) => {
      const workspace = join(tmp.dir, label);
      await mkdir(workspace);
      await git(['clone', '-q', '--depth', '1', `file://${d.remote}`, 'checkout'], workspace);
      const runnerTemp = join(workspace, '_temp');
      await mkdir(runnerTemp);
      const githubEnv = join(runnerTemp, 'github_env');
      await writeFile(githubEnv, '');
      const event = join(runnerTemp, 'event.json');
      await writeFile(event, JSON.stringify({ action: 'opened', number: 3, pull_request: { number: 3, head: { sha: head }, base: { sha: d.policyCommit, ref: 'main' } } }));
      const common = { RUNNER_TEMP: runnerTemp, GITHUB_ENV: githubEnv, GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: event, GITLAB_CI: '' };
      const get = await bash(steps[0].script, { ...common, CLI_PATH: vendored, CLI_URL: '', CLI_SHA256: sha, ACTION_REPO: '', ACTION_REF: '', SERVER: 'https://github.com' }, workspace);
      expect(get.code, get.stderr).toBe(0);
      expect(get.stdout).toMatch(/countersign\.mjs: OK\ncountersign \d+\.\d+\.\d+\n/);
      const exported = Object.fromEntries((await readFile(githubEnv, 'utf8')).trim().split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2)));
      return bash(steps[1].script, { ...common, ...exported, INPUT_REPO: 'checkout', INPUT_REMOTE: 'origin', INPUT_ARGS: '--threshold 1' }, workspace);
    };

    const ok = await job(d.commits[0].id, 'approved');
    expect(ok.code, ok.stderr + ok.stdout).toBe(0);
    expect(ok.stdout).toMatch(/OK: the change meets the policy \(1\/1: bob@example.org\)/);
    const bad = await job(d.commits[1].id, 'unapproved');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/FAILED: the change does not meet the policy/);
  });

  it('refuses a vendored file whose SHA-256 is not the one given', async () => {
    const [get] = await actionSteps();
    const runnerTemp = join(tmp.dir, 'temp-bad-sum');
    await mkdir(runnerTemp);
    const r = await bash(get.script, { RUNNER_TEMP: runnerTemp, GITHUB_ENV: join(runnerTemp, 'env'), CLI_PATH: vendored, CLI_URL: '', CLI_SHA256: '0'.repeat(64), ACTION_REPO: '', ACTION_REF: '', SERVER: '' }, tmp.dir);
    expect(r.code).not.toBe(0);
    expect(r.stderr + r.stdout).toMatch(/FAILED/);
  });
});
