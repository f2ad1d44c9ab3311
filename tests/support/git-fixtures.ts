/**
 * Real git repositories in temporary directories for integration tests: a bare "remote",
 * clones of it, commits. Everything goes through lib/git/run.ts (argument arrays, no shell).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runGit } from '../../lib/git/run';
import { formatNoteLine } from '../../lib/notes/line';

export type ObjectFormat = 'sha1' | 'sha256';

const IDENTITY = {
  GIT_AUTHOR_NAME: 'Ada Author',
  GIT_AUTHOR_EMAIL: 'ada@example.com',
  GIT_COMMITTER_NAME: 'Ada Author',
  GIT_COMMITTER_EMAIL: 'ada@example.com',
};

const made: string[] = [];

export async function tempDir(prefix = 'countersign-git-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Removes every directory made by tempDir (call from afterAll). */
export async function cleanupTempDirs(): Promise<void> {
  await Promise.all(made.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/** git in `dir`, stdout trimmed; throws on failure. */
export async function git(dir: string, ...args: string[]): Promise<string> {
  return (await runGit(args, { cwd: dir, env: IDENTITY })).stdout.trim();
}

/** Settings that keep tests deterministic: no background gc outliving a test's temp dir. */
async function quiet(dir: string): Promise<void> {
  await git(dir, 'config', 'gc.auto', '0');
  await git(dir, 'config', 'maintenance.auto', 'false');
}

export async function initRepo(dir: string, opts: { bare?: boolean; objectFormat?: ObjectFormat } = {}): Promise<string> {
  await mkdir(dir, { recursive: true });
  await git(dir, 'init', '--quiet', `--object-format=${opts.objectFormat ?? 'sha1'}`, '--initial-branch=main', ...(opts.bare ? ['--bare'] : []));
  await quiet(dir);
  return dir;
}

/** Writes a file (creating folders), stages and commits it; returns the new commit id. */
export async function commitFile(repo: string, path: string, content: string | Buffer, message = `change ${path}`): Promise<string> {
  const full = join(repo, path);
  await mkdir(dirname(full), { recursive: true });
  await writeFile(full, content);
  await git(repo, 'add', '--', path);
  await git(repo, 'commit', '--quiet', '--no-gpg-sign', '-m', message);
  return git(repo, 'rev-parse', 'HEAD');
}

/**
 * Many commits at once, without touching the work tree (commit-tree on HEAD's tree), on the
 * current branch. For tests that need hundreds of notes.
 */
export async function makeEmptyCommits(repo: string, count: number): Promise<string[]> {
  const tree = await git(repo, 'rev-parse', 'HEAD^{tree}');
  let parent = await git(repo, 'rev-parse', 'HEAD');
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    parent = await git(repo, 'commit-tree', '--no-gpg-sign', tree, '-p', parent, '-m', `bulk ${i}`);
    ids.push(parent);
  }
  await git(repo, 'update-ref', 'HEAD', parent);
  return ids;
}

export interface RemoteWithClones {
  root: string;
  /** Path of the bare repository the clones push to. */
  remote: string;
  clones: string[];
  /** Commits on main, oldest first, present in every clone. */
  commits: string[];
}

/** A bare remote with `commits` commits on main, and `clones` fresh clones of it. */
export async function remoteWithClones(opts: { clones?: number; commits?: number; objectFormat?: ObjectFormat } = {}): Promise<RemoteWithClones> {
  const root = await tempDir();
  const remote = await initRepo(join(root, 'remote.git'), { bare: true, objectFormat: opts.objectFormat });
  const seed = await initRepo(join(root, 'seed'), { objectFormat: opts.objectFormat });
  const commits: string[] = [];
  for (let i = 0; i < (opts.commits ?? 3); i++) commits.push(await commitFile(seed, `file${i}.txt`, `content ${i}\n`, `commit ${i}`));
  await git(seed, 'push', '--quiet', remote, 'main:main');
  const clones: string[] = [];
  for (let i = 0; i < (opts.clones ?? 2); i++) {
    const dir = join(root, `clone${i}`);
    await git(root, 'clone', '--quiet', remote, dir);
    await quiet(dir);
    clones.push(dir);
  }
  return { root, remote, clones, commits };
}

let counter = 0;

/** A syntactically valid note line with a random "signature" (real signatures come from lib/sshsig). */
export function fakeNoteLine(signer = `reviewer${++counter}@example.com`): string {
  return formatNoteLine({
    verdict: 'approve',
    signer,
    time: new Date(Date.UTC(2025, 0, 1) + Math.floor(Math.random() * 1e9) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    signature: new Uint8Array(randomBytes(64 + Math.floor(Math.random() * 64))),
  });
}

/** The raw note text on `commit` under `notesRef`, as `git notes show` prints it; null if none. */
export async function gitNotesShow(repo: string, notesRef: string, commit: string): Promise<string | null> {
  const r = await runGit(['notes', `--ref=${notesRef}`, 'show', commit], { cwd: repo, allowFailure: true });
  return r.code === 0 ? r.stdout : null;
}
