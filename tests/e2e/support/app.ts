import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, type Page, type TestInfo } from '@playwright/test';
import { DATA_DIR, E2E_ENV, ROOT, SCREENS_DIR } from './env.mjs';

/**
 * What a person (or a maintainer, or a CI bot) does next to the browser: the countersign CLI on
 * the server's machine, git on the demo remote, ssh-keygen on exported files.
 */

export const DEMO_REMOTE = path.join(DATA_DIR, 'demo-remote.git');
export const NOTES_REF = 'refs/notes/countersign';
export const NAMESPACE = 'countersign-review@countersign.dev';

/** A fixed identity for commits the tests make: a fresh CI machine has no git identity. */
const MAINTAINER_ENV = {
  GIT_AUTHOR_NAME: 'Mira Maintainer',
  GIT_AUTHOR_EMAIL: 'mira@demo.countersign.dev',
  GIT_COMMITTER_NAME: 'Mira Maintainer',
  GIT_COMMITTER_EMAIL: 'mira@demo.countersign.dev',
};

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A program run to its end, with its output (opts.env is added to this process's environment). */
export function runProcess(file: string, args: string[], opts: { cwd?: string; env?: Record<string, string>; input?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, ...opts.env },
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    if (opts.input !== undefined) {
      child.stdin!.on('error', () => {}); // a tool may exit before reading all of it; its exit code says why
      child.stdin!.end(opts.input);
    }
  });
}

/** `countersign …` with the server's configuration, as run on the server's machine. */
export function countersign(args: string[], opts: { cwd?: string } = {}): Promise<RunResult> {
  return runProcess(process.execPath, [path.join(ROOT, 'bin/countersign.mjs'), ...args], { cwd: opts.cwd, env: E2E_ENV });
}

async function ok(what: string, r: Promise<RunResult>): Promise<string> {
  const res = await r;
  if (res.code !== 0) throw new Error(`${what} failed (exit ${res.code}): ${res.stderr || res.stdout}`);
  return res.stdout;
}

/**
 * `countersign invite EMAIL`: the one-time URL it prints and when it expires (the server is
 * running, so the CLI asks it over its control socket).
 */
/**
 * Enrolment as a person does it: open the invite, name the device, create the passkey (add the
 * page's virtual authenticator first). Returns the allowed_signers line the page shows.
 */
export async function createPasskey(page: Page, inviteUrl: string, email: string, device: string): Promise<string> {
  await page.goto(inviteUrl);
  await page.getByLabel('Device name').fill(device);
  await page.getByRole('button', { name: 'Create passkey' }).click();
  await expect(page.getByRole('heading', { name: 'Passkey created' })).toBeVisible();
  return (await page.locator('pre').filter({ hasText: new RegExp(`^${email.replace(/[.+]/g, '\\$&')} namespaces="`) }).innerText()).trim();
}

export async function inviteDetails(email: string, opts: { admin?: boolean; hours?: string } = {}): Promise<{ url: string; expiresAt: string }> {
  const args = ['invite', email, ...(opts.admin ? ['--admin'] : []), ...(opts.hours ? ['--hours', opts.hours] : [])];
  const res = await countersign(args);
  if (res.code !== 0) throw new Error(`countersign ${args.join(' ')} failed (exit ${res.code}): ${res.stderr || res.stdout}`);
  const url = res.stdout.trim();
  if (!/^http:\/\/localhost:\d+\/invite\/[A-Za-z0-9_-]+$/.test(url)) throw new Error(`countersign invite printed ${JSON.stringify(res.stdout)}`);
  const expiresAt = /valid until (\S+)/.exec(res.stderr)?.[1];
  if (!expiresAt || Number.isNaN(Date.parse(expiresAt))) throw new Error(`countersign invite said ${JSON.stringify(res.stderr)}`);
  return { url, expiresAt };
}

export async function invite(email: string, opts: { admin?: boolean; hours?: string } = {}): Promise<string> {
  return (await inviteDetails(email, opts)).url;
}

export function git(args: string[], cwd = ROOT): Promise<string> {
  return ok(`git ${args.join(' ')}`, runProcess('git', args, { cwd, env: MAINTAINER_ENV }));
}

export interface DemoCommit {
  id: string;
  title: string;
  authorEmail: string;
}

/** The demo remote's history on main, oldest first. */
export async function demoCommits(): Promise<DemoCommit[]> {
  const out = await git(['--git-dir', DEMO_REMOTE, 'log', '--reverse', '--format=%H%x09%ae%x09%s', 'main']);
  return out
    .trim()
    .split('\n')
    .map((l) => {
      const [id, authorEmail, title] = l.split('\t');
      return { id, title, authorEmail };
    });
}

export async function demoCommit(title: string): Promise<DemoCommit> {
  const c = (await demoCommits()).find((x) => x.title === title);
  if (!c) throw new Error(`no demo commit titled ${JSON.stringify(title)}`);
  return c;
}

/**
 * A copy of a demo commit that has not landed: the same parent, tree, author and message, committed
 * anew onto its own branch of the demo remote. Reviews happen before a change lands; a commit
 * already on main is judged by the policy from before it, so keys trusted later never count for it.
 */
export async function pendingCopy(original: DemoCommit, branch: string): Promise<DemoCommit> {
  const fmt = (f: string) => ok('git log', runProcess('git', ['--git-dir', DEMO_REMOTE, 'log', '-1', `--format=${f}`, original.id]));
  const [tree, parent, name, email, date, message] = await Promise.all(['%T', '%P', '%an', '%ae', '%aI', '%B'].map(fmt));
  const env = { GIT_AUTHOR_NAME: name.trim(), GIT_AUTHOR_EMAIL: email.trim(), GIT_AUTHOR_DATE: date.trim() };
  const id = (
    await ok('git commit-tree', runProcess('git', ['--git-dir', DEMO_REMOTE, 'commit-tree', tree.trim(), '-p', parent.trim().split(' ')[0], '-F', '-'], { env, input: message }))
  ).trim();
  await ok('git update-ref', runProcess('git', ['--git-dir', DEMO_REMOTE, 'update-ref', `refs/heads/${branch}`, id]));
  return { id, title: original.title, authorEmail: original.authorEmail };
}

/** The note lines the remote holds for a commit (what CI bots fetch); none → []. */
export async function remoteNoteLines(commit: string): Promise<string[]> {
  const r = await runProcess('git', ['--git-dir', DEMO_REMOTE, 'notes', '--ref', NOTES_REF, 'show', commit]);
  if (r.code !== 0) {
    if (/no note found/i.test(r.stderr)) return [];
    throw new Error(`git notes show failed: ${r.stderr}`);
  }
  return r.stdout.split('\n').filter((l) => l.length > 0);
}

/** A scratch directory under the OS temp dir, removed by the returned function. */
export function scratchDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), `countersign-e2e-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A fresh clone of the demo remote, as a CI bot or a maintainer would have. */
export async function cloneDemo(dir: string): Promise<string> {
  const clone = path.join(dir, 'demo');
  await git(['clone', '--quiet', DEMO_REMOTE, clone]);
  return clone;
}

/** What a maintainer does with enrolled users' lines: append them to .countersign/allowed_signers on main and push. */
export async function trustSigners(lines: string[], message: string): Promise<string> {
  const tmp = scratchDir('trust');
  try {
    const clone = await cloneDemo(tmp.dir);
    const file = path.join(clone, '.countersign', 'allowed_signers');
    writeFileSync(file, readFileSync(file, 'utf8') + lines.map((l) => l.trim() + '\n').join(''));
    await git(['add', '.countersign/allowed_signers'], clone);
    await git(['-c', 'commit.gpgsign=false', 'commit', '--quiet', '-m', message], clone);
    await git(['push', '--quiet', 'origin', 'HEAD:main'], clone);
    return (await git(['rev-parse', 'HEAD'], clone)).trim();
  } finally {
    tmp.remove();
  }
}

export function sshKeygenVerify(opts: { dir: string; identity: string; sig: string; statement: string }): Promise<RunResult> {
  return runProcess(
    'ssh-keygen',
    ['-Y', 'verify', '-f', 'allowed_signers', '-I', opts.identity, '-n', NAMESPACE, '-s', opts.sig],
    { cwd: opts.dir, input: readFileSync(path.join(opts.dir, opts.statement), 'utf8') },
  );
}

/**
 * Saves the screen as test-output/screens/NAME.png, at phone size only (the phone project):
 * the screens a person sees, in the order they see them. By default what the phone shows at the
 * current scroll position; `fullPage` captures the whole page from the top (sticky header at the
 * top, fixed bottom bar at the bottom).
 */
export async function snap(page: Page, testInfo: TestInfo, name: string, opts: { fullPage?: boolean } = {}): Promise<void> {
  if (testInfo.project.name !== 'phone') return;
  mkdirSync(SCREENS_DIR, { recursive: true });
  if (opts.fullPage) await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(SCREENS_DIR, `${name}.png`), fullPage: !!opts.fullPage, animations: 'disabled', caret: 'hide' });
}
