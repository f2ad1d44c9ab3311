import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { branchesContaining, defaultBranchOfRemote, readFileAtRef, resolveCommit } from '../../lib/git/commit';
import { commitDiff } from '../../lib/git/diff';
import { runGit } from '../../lib/git/run';
import { CountersignError } from '../../lib/errors';
import { cleanupTempDirs, commitFile, git, initRepo, remoteWithClones, tempDir } from '../support/git-fixtures';

afterAll(cleanupTempDirs);

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(CountersignError);
    return `${(e as CountersignError).code}: ${(e as Error).message}`;
  }
  throw new Error('expected a CountersignError');
}

describe('runGit', () => {
  it('passes arguments verbatim (no shell) and returns output', async () => {
    const dir = await initRepo(join(await tempDir(), 'r'));
    const r = await runGit(['config', 'x.y', '$(touch pwned); `id` && echo hi'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(await git(dir, 'config', 'x.y')).toBe('$(touch pwned); `id` && echo hi');
  });

  it('throws git-failed carrying git’s message', async () => {
    const dir = await tempDir();
    expect(await codeOf(runGit(['log'], { cwd: dir }))).toMatch(/^git-failed: git log failed in .*not a git repository/);
  });

  it('returns failures as results with allowFailure', async () => {
    const dir = await tempDir();
    const r = await runGit(['log'], { cwd: dir, allowFailure: true });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/not a git repository/);
  });

  it('ignores GIT_DIR inherited from a hook', async () => {
    const a = await initRepo(join(await tempDir(), 'a'));
    const b = await initRepo(join(await tempDir(), 'b'));
    await commitFile(a, 'x', 'x');
    const saved = process.env.GIT_DIR;
    process.env.GIT_DIR = join(a, '.git');
    try {
      const r = await runGit(['rev-parse', '--verify', '--quiet', 'HEAD'], { cwd: b, allowFailure: true });
      expect(r.code).not.toBe(0); // b has no commits; with GIT_DIR honoured it would have answered for a
    } finally {
      if (saved === undefined) delete process.env.GIT_DIR;
      else process.env.GIT_DIR = saved;
    }
  });
});

describe('resolveCommit', () => {
  let repo: string;
  let first: string;
  let second: string;

  beforeAll(async () => {
    repo = await initRepo(join(await tempDir(), 'repo'));
    first = await commitFile(repo, 'a.txt', 'a\n', 'first commit\n\nwith a body');
    second = await commitFile(repo, 'b.txt', 'b\n', 'second');
    await git(repo, 'tag', '-a', '-m', 'annotated', 'v1', second);
  });

  it('reads a commit by full id', async () => {
    const c = await resolveCommit(repo, second);
    expect(c).toMatchObject({
      id: second,
      tree: await git(repo, 'rev-parse', `${second}^{tree}`),
      parents: [first],
      title: 'second',
      objectFormat: 'sha1',
      author: { name: 'Ada Author', email: 'ada@example.com' },
    });
    expect(c.author.date).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(c.gpgsig).toBeUndefined();
    const root = await resolveCommit(repo, first.toUpperCase());
    expect(root.id).toBe(first);
    expect(root.parents).toEqual([]);
    expect(root.message).toBe('first commit\n\nwith a body\n');
  });

  it('refuses non-hex, abbreviated and ref names unless revisions are allowed', async () => {
    expect(await codeOf(resolveCommit(repo, 'HEAD'))).toMatch(/^unknown-commit: "HEAD" is not a commit id/);
    expect(await codeOf(resolveCommit(repo, second.slice(0, 12)))).toMatch(/^unknown-commit: .*full hex/);
    expect(await codeOf(resolveCommit(repo, 'z'.repeat(40)))).toMatch(/^unknown-commit/);
    expect(await codeOf(resolveCommit(repo, ''))).toMatch(/^unknown-commit/);
    expect((await resolveCommit(repo, 'HEAD~1', { allowRevisions: true })).id).toBe(first);
    expect((await resolveCommit(repo, second.slice(0, 10), { allowRevisions: true })).id).toBe(second);
    expect((await resolveCommit(repo, 'v1', { allowRevisions: true })).id).toBe(second);
    expect(await codeOf(resolveCommit(repo, '--output=/tmp/x', { allowRevisions: true }))).toMatch(/^unknown-commit/);
  });

  it('refuses unknown commits, ids of the wrong length and non-commit objects', async () => {
    expect(await codeOf(resolveCommit(repo, 'f'.repeat(40)))).toMatch(/^unknown-commit: commit f{40} is not in/);
    expect(await codeOf(resolveCommit(repo, 'f'.repeat(64)))).toMatch(/has 64 hex digits but .* uses sha1 ids/);
    const tree = await git(repo, 'rev-parse', `${second}^{tree}`);
    expect(await codeOf(resolveCommit(repo, tree))).toMatch(/is a tree, not a commit/);
    const tag = await git(repo, 'rev-parse', 'v1');
    expect(await codeOf(resolveCommit(repo, tag))).toMatch(/is a tag, not a commit/);
  });

  it('returns the raw signature header of a signed commit', async () => {
    const raw = (await runGit(['cat-file', 'commit', second], { cwd: repo })).stdout;
    const sig = '-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----';
    const signed = raw.replace('\n\n', `\ngpgsig ${sig.split('\n').join('\n ')}\n\n`);
    const id = (await runGit(['hash-object', '-t', 'commit', '-w', '--stdin'], { cwd: repo, input: signed })).stdout.trim();
    const c = await resolveCommit(repo, id);
    expect(c.gpgsig).toBe(sig);
    expect(c.title).toBe('second');
  });

  it('works in a SHA-256 repository', async () => {
    const r256 = await initRepo(join(await tempDir(), 'r256'), { objectFormat: 'sha256' });
    const id = await commitFile(r256, 'x.txt', 'x\n', 'in sha256');
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const c = await resolveCommit(r256, id);
    expect(c.objectFormat).toBe('sha256');
    expect(c.tree).toMatch(/^[0-9a-f]{64}$/);
    expect(await codeOf(resolveCommit(r256, 'a'.repeat(40)))).toMatch(/has 40 hex digits but .* uses sha256 ids/);
    const d = await commitDiff(r256, id);
    expect(d.base).toBeNull();
    expect(d.files.map((f) => [f.path, f.status, f.additions])).toEqual([['x.txt', 'added', 1]]);
  });
});

describe('readFileAtRef, defaultBranchOfRemote, branchesContaining', () => {
  it('reads policy files from a ref, null when absent, error for an unknown ref', async () => {
    const { clones, commits } = await remoteWithClones({ clones: 1, commits: 2 });
    const [clone] = clones;
    expect(await readFileAtRef(clone, 'origin/main', 'file1.txt')).toBe('content 1\n');
    expect(await readFileAtRef(clone, commits[0], 'file1.txt')).toBeNull();
    expect(await readFileAtRef(clone, 'origin/main', '.countersign/policy.json')).toBeNull();
    expect(await codeOf(readFileAtRef(clone, 'origin/nope', 'file1.txt'))).toMatch(/^not-found: ref origin\/nope does not exist/);
    expect(await codeOf(readFileAtRef(clone, '-x', 'file1.txt'))).toMatch(/^bad-input/);
    await commitFile(clone, 'dir/inner.txt', 'i\n');
    expect(await codeOf(readFileAtRef(clone, 'HEAD', 'dir'))).toMatch(/is a tree, not a file/);
  });

  it('finds the remote’s default branch from refs/remotes/<remote>/HEAD, else main/master', async () => {
    const { clones, remote } = await remoteWithClones({ clones: 1, commits: 1 });
    const [clone] = clones;
    expect(await defaultBranchOfRemote(clone, 'origin')).toEqual({ branch: 'main', ref: 'refs/remotes/origin/main' });

    // A remote whose HEAD names "trunk": clone records origin/HEAD -> origin/trunk.
    await git(remote, 'branch', 'trunk', 'main');
    await git(remote, 'symbolic-ref', 'HEAD', 'refs/heads/trunk');
    const second = join(await tempDir(), 'c2');
    await git(clone, 'clone', '--quiet', remote, second);
    expect(await defaultBranchOfRemote(second, 'origin')).toEqual({ branch: 'trunk', ref: 'refs/remotes/origin/trunk' });

    // Without origin/HEAD (added with `git remote add` + fetch), fall back to main.
    await git(second, 'remote', 'add', 'other', remote);
    await git(second, 'fetch', '--quiet', 'other');
    expect(await defaultBranchOfRemote(second, 'other')).toEqual({ branch: 'main', ref: 'refs/remotes/other/main' });
    expect(await codeOf(defaultBranchOfRemote(second, 'nosuch'))).toMatch(/^not-found: cannot tell the default branch/);
    expect(await codeOf(defaultBranchOfRemote(second, '--upload-pack=x'))).toMatch(/^bad-input/);
  });

  it('lists local and remote branches containing a commit', async () => {
    const { clones, commits } = await remoteWithClones({ clones: 1, commits: 2 });
    const [clone] = clones;
    await git(clone, 'checkout', '--quiet', '-b', 'feature', commits[0]);
    const f = await commitFile(clone, 'f.txt', 'f\n');
    expect((await branchesContaining(clone, commits[0])).map((b) => b.ref)).toEqual(['refs/heads/feature', 'refs/heads/main', 'refs/remotes/origin/main']);
    expect(await branchesContaining(clone, f)).toEqual([{ ref: 'refs/heads/feature', name: 'feature' }]);
  });
});

describe('commitDiff', () => {
  let repo: string;
  let root: string;

  beforeAll(async () => {
    repo = await initRepo(join(await tempDir(), 'diffs'));
    root = await commitFile(repo, 'f.txt', 'a\nb\nc\n', 'root');
  });

  it('compares a root commit with the empty tree', async () => {
    const d = await commitDiff(repo, root);
    expect(d.base).toBeNull();
    expect(d.files).toHaveLength(1);
    expect(d.files[0]).toMatchObject({ path: 'f.txt', status: 'added', additions: 3, deletions: 0, binary: false });
    expect(d.files[0].hunks[0].lines.map((l) => `${l.kind}:${l.text}:${l.newNo}`)).toEqual(['add:a:1', 'add:b:2', 'add:c:3']);
    expect(d.truncated).toEqual({ files: 0, lines: 0, bytes: false });
  });

  it('shows renames, binary files, deletions and odd paths against the first parent', async () => {
    await commitFile(repo, 'bin.dat', Buffer.from([0, 1, 2, 0]));
    await commitFile(repo, 'sp ace "q".txt', 'hi\n');
    await git(repo, 'mv', 'f.txt', 'g.txt');
    await commitFile(repo, 'g.txt', 'a\nB\nc\nd');
    await commitFile(repo, 'bin.dat', Buffer.from([0, 9, 9, 0]), 'binary');
    await git(repo, 'rm', '--quiet', 'sp ace "q".txt');
    await git(repo, 'commit', '--quiet', '--no-gpg-sign', '-m', 'rm');
    const head = await commitFile(repo, 'tab\tné.txt', 'x\n', 'odd name');

    const diffOf = async (rev: string) => commitDiff(repo, await git(repo, 'rev-parse', rev));
    const rename = await diffOf(`${head}~3`);
    expect(rename.files).toHaveLength(1);
    expect(rename.files[0]).toMatchObject({ path: 'g.txt', oldPath: 'f.txt', status: 'renamed', additions: 2, deletions: 1 });
    expect(rename.files[0].hunks[0].lines.at(-1)).toEqual({ kind: 'add', text: 'd', newNo: 4, noEol: true });

    const bin = await diffOf(`${head}~2`);
    expect(bin.files).toEqual([expect.objectContaining({ path: 'bin.dat', binary: true, additions: 0, deletions: 0, hunks: [] })]);

    const rm = await diffOf(`${head}~1`);
    expect(rm.files[0]).toMatchObject({ path: 'sp ace "q".txt', status: 'deleted', deletions: 1 });
    expect(rm.files[0].hunks[0].lines).toEqual([{ kind: 'del', text: 'hi', oldNo: 1 }]);

    const odd = await commitDiff(repo, head);
    expect(odd.files[0]).toMatchObject({ path: 'tab\tné.txt', status: 'added', additions: 1 });
    expect(odd.files[0].hunks).toHaveLength(1);
  });

  it('diffs a merge against its first parent', async () => {
    const base = await git(repo, 'rev-parse', 'HEAD');
    await git(repo, 'checkout', '--quiet', '-b', 'side');
    await commitFile(repo, 'side.txt', 's\n');
    await git(repo, 'checkout', '--quiet', 'main');
    await commitFile(repo, 'main.txt', 'm\n');
    await git(repo, 'merge', '--quiet', '--no-edit', '--no-gpg-sign', 'side');
    const merge = await resolveCommit(repo, 'HEAD', { allowRevisions: true });
    expect(merge.parents).toHaveLength(2);
    const d = await commitDiff(repo, merge.id);
    expect(d.base).toBe(merge.parents[0]);
    expect(d.files.map((f) => f.path)).toEqual(['side.txt']);
    expect(base).not.toBe(merge.id);
  });

  it('cuts very large diffs and says how much is hidden', async () => {
    const big = Array.from({ length: 3000 }, (_, i) => `line ${i}`).join('\n') + '\n';
    await commitFile(repo, 'big1.txt', 'x\n');
    const id = await commitFile(repo, 'big1.txt', big, 'big');
    const full = await commitDiff(repo, id);
    expect(full.files[0]).toMatchObject({ additions: 3000, deletions: 1 });
    expect(full.truncated).toEqual({ files: 0, lines: 0, bytes: false });

    const byLines = await commitDiff(repo, id, { maxLines: 100 });
    expect(byLines.files[0].partial).toBe(true);
    expect(byLines.files[0].hunks.flatMap((h) => h.lines)).toHaveLength(100);
    expect(byLines.truncated.lines).toBe(3001 - 100);

    const byBytes = await commitDiff(repo, id, { maxBytes: 4096 });
    expect(byBytes.truncated.bytes).toBe(true);
    const shown = byBytes.files[0].hunks.flatMap((h) => h.lines).length;
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThan(600);
    expect(byBytes.truncated.lines).toBe(3001 - shown);

    const many = ['m0.txt', 'm1.txt', 'm2.txt', 'm3.txt', 'm4.txt'];
    for (const p of many) await writeFile(join(repo, p), `${p}\n`);
    await git(repo, 'add', '--', ...many);
    await git(repo, 'commit', '--quiet', '--no-gpg-sign', '-m', 'many');
    const byFiles = await commitDiff(repo, await git(repo, 'rev-parse', 'HEAD'), { maxFiles: 2 });
    expect(byFiles.files.map((f) => f.path)).toEqual(['m0.txt', 'm1.txt']);
    expect(byFiles.truncated).toEqual({ files: 3, lines: 3, bytes: false });
  });
});
