import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { rejectionOf } from '../support/errors';
import { objectReaderPid } from '../../lib/git/cat-file';
import { readObjects } from '../../lib/git/objects';
import { gitProcessStats } from '../../lib/git/run';
import { readTip } from '../../lib/notes/tree';
import { cleanupTempDirs, commitFile, git, initRepo, tempDir } from '../support/git-fixtures';

afterAll(cleanupTempDirs);

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function repoWithCommit(): Promise<{ repo: string; commit: string }> {
  const repo = await initRepo(join(await tempDir(), 'r'));
  const commit = await commitFile(repo, 'a.txt', 'first\n');
  return { repo, commit };
}

async function oidOf(repo: string, name: string): Promise<string | null> {
  const [o] = await readObjects(repo, [name]);
  return o.found ? o.oid : null;
}

describe('object reads through a long-running git cat-file', () => {
  it('answers many requests, also concurrent ones, from one process, each with its own results in order', async () => {
    const { repo, commit } = await repoWithCommit();
    const files = await Promise.all(Array.from({ length: 5 }, (_, i) => `file ${i}\n`));
    let head = commit;
    for (const [i, content] of files.entries()) head = await commitFile(repo, `f${i}.txt`, content);
    await readObjects(repo, [head]); // starts the process
    const spawned = gitProcessStats.spawned;

    const asks = Array.from({ length: 40 }, (_, k) => {
      const i = k % files.length;
      return readObjects(repo, [`${head}:f${i}.txt`, `${head}:nope-${k}`, head]).then((r) => ({ i, r }));
    });
    for (const { i, r } of await Promise.all(asks)) {
      expect(r.map((o) => o.found)).toEqual([true, false, true]);
      expect(r[0].found && r[0].content.toString()).toBe(files[i]);
      expect(r[0].name).toBe(`${head}:f${i}.txt`);
      expect(r[1]).toMatchObject({ found: false, reason: 'missing' });
      expect(r[2]).toMatchObject({ found: true, type: 'commit', oid: head });
    }
    expect(gitProcessStats.spawned).toBe(spawned);
  });

  it('returns large and binary contents byte for byte, beside small ones', async () => {
    const { repo } = await repoWithCommit();
    const big = randomBytes(3 << 20); // arrives in many pipe chunks
    const tricky = Buffer.from('line\nabc missing\n0123456789012345678901234567890123456789 blob 5\n\0\n');
    await commitFile(repo, 'big.bin', big);
    const head = await commitFile(repo, 'tricky.bin', tricky);
    const r = await readObjects(repo, [`${head}:tricky.bin`, `${head}:big.bin`, `${head}:a.txt`, `${head}:big.bin`]);
    expect(r.map((o) => (o.found ? o.content.length : -1))).toEqual([tricky.length, big.length, 6, big.length]);
    expect(r[0].found && r[0].content.equals(tricky)).toBe(true);
    expect(r[1].found && r[1].content.equals(big)).toBe(true);
    expect(r[3].found && r[3].content.equals(big)).toBe(true);
  });

  it('sees what other processes write: moved, packed, new and deleted refs, new packs, repacks', async () => {
    const { repo, commit } = await repoWithCommit();
    expect(await readTip(repo, 'refs/heads/main')).toBe(commit);

    const second = await commitFile(repo, 'b.txt', 'second\n');
    expect(await readTip(repo, 'refs/heads/main')).toBe(second);
    await git(repo, 'pack-refs', '--all');
    const third = await commitFile(repo, 'c.txt', 'third\n');
    expect(await readTip(repo, 'refs/heads/main')).toBe(third);
    await git(repo, 'pack-refs', '--all');
    expect(await readTip(repo, 'refs/heads/main')).toBe(third);

    expect(await readTip(repo, 'refs/notes/x')).toBeNull();
    await git(repo, 'update-ref', 'refs/notes/x', second);
    expect(await readTip(repo, 'refs/notes/x')).toBe(second);
    await git(repo, 'update-ref', '-d', 'refs/notes/x');
    expect(await readTip(repo, 'refs/notes/x')).toBeNull();

    // A commit in a pack written after the reader started (fast-import keeps its pack).
    const stream = `commit refs/notes/x\ncommitter A <a@example.com> 1700000000 +0000\ndata 4\nnew\nM 100644 inline f\ndata 7\npacked\n\n`;
    await new Promise<void>((resolve, reject) => {
      const child = spawn('git', ['-c', 'fastimport.unpackLimit=0', 'fast-import', '--quiet'], { cwd: repo });
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`fast-import exited ${code}`))));
      child.stdin.end(stream);
    });
    const imported = (await git(repo, 'rev-parse', 'refs/notes/x')).trim();
    expect(await readTip(repo, 'refs/notes/x')).toBe(imported);
    const [f] = await readObjects(repo, ['refs/notes/x:f']);
    expect(f.found && f.content.toString()).toBe('packed\n');

    await git(repo, 'gc', '--quiet', '--prune=now');
    const after = await readObjects(repo, ['refs/notes/x:f', `${commit}:a.txt`]);
    expect(after.map((o) => o.found && o.content.toString())).toEqual(['packed\n', 'first\n']);
  });

  it('recovers when its process dies: the request is answered by a new one', async () => {
    const { repo, commit } = await repoWithCommit();
    await readObjects(repo, [commit]);
    const pid = objectReaderPid(repo);
    expect(pid).toBeGreaterThan(0);
    // Killed and asked at once: the request goes to the dead process before Node has seen it end.
    process.kill(pid!, 'SIGKILL');
    const [o] = await readObjects(repo, [`${commit}:a.txt`]);
    expect(o.found && o.content.toString()).toBe('first\n');
    expect(objectReaderPid(repo)).not.toBe(pid);
  });

  it('reads the new repository when the directory is replaced, not the old one', async () => {
    const { repo, commit } = await repoWithCommit();
    expect(await oidOf(repo, commit)).toBe(commit);
    await rm(repo, { recursive: true, force: true });
    await initRepo(repo);
    const other = await commitFile(repo, 'z.txt', 'other\n');
    expect(await oidOf(repo, commit)).toBeNull();
    expect(await oidOf(repo, other)).toBe(other);
  });

  it('fails like any git command outside a repository or in a missing directory', async () => {
    const dir = await tempDir();
    const e = await rejectionOf(readObjects(dir, ['HEAD']));
    expect(e.code).toBe('git-failed');
    expect(e.message).toMatch(/^git cat-file failed in .*not a git repository.*\(is the path a git clone\?/);
    const gone = await rejectionOf(readObjects(join(dir, 'nowhere'), ['HEAD']));
    expect(gone.message).toMatch(/does not exist/);
  });

  it('does not keep Node running once idle', async () => {
    const { repo, commit } = await repoWithCommit();
    const dir = await tempDir();
    const script = join(dir, 'reader.mts');
    await writeFile(
      script,
      `import { readObjects } from ${JSON.stringify(join(PROJECT_ROOT, 'lib/git/objects.ts'))};
import { objectReaderPid } from ${JSON.stringify(join(PROJECT_ROOT, 'lib/git/cat-file.ts'))};
const [o] = await readObjects(process.argv[2], [process.argv[3]]);
console.log(o.found ? o.oid : 'missing', objectReaderPid(process.argv[2]) ? 'reader running' : 'no reader');
`,
    );
    const started = Date.now();
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', script, repo, commit], { cwd: PROJECT_ROOT });
      let text = '';
      let err = '';
      child.stdout.on('data', (d) => (text += d));
      child.stderr.on('data', (d) => (err += d));
      child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`reader exited ${code}: ${err}`))));
    });
    expect(out.trim()).toBe(`${commit} reader running`);
    // The reader would end itself after 10 s idle; the script must not have waited for that.
    expect(Date.now() - started).toBeLessThan(9_000);
  }, 20_000);
});
