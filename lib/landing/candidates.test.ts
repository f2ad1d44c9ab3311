/**
 * The candidate index: where the gate looks for the approved change behind a squash or rebase
 * commit. A candidate proves nothing by itself (the rule checks it); these tests pin what is found.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { changedPathsBatch } from '../git/changed-paths';
import { formatNoteLine } from '../notes/line';
import { appendNoteLines } from '../notes/store';
import { cleanupTempDirs, commitFile, git, initRepo, tempDir } from '../../tests/support/git-fixtures';
import { CandidateIndex } from './candidates';
import { LandingContext } from './context';

const REF = 'refs/notes/countersign';
afterAll(cleanupTempDirs);

const line = (base?: string, verdict = 'approve') =>
  formatNoteLine({ verdict, signer: 'bob@example.org', time: '2026-01-01T00:00:00Z', ...(base ? { base } : {}), signature: new Uint8Array([1, 2, 3]) });

describe('CandidateIndex', () => {
  it('finds an approved change by the exact set of paths it changes, and by its head author and message', async () => {
    const repo = await initRepo(join(await tempDir(), 'r'));
    const base = await commitFile(repo, 'README', 'x\n', 'init');
    await commitFile(repo, 'src/a.txt', 'a\n', 'topic: a');
    const head = await commitFile(repo, 'src/b.txt', 'b\n', 'topic: b');
    const single = await commitFile(repo, 'src/c.txt', 'c\n', 'single');
    const rejected = await commitFile(repo, 'src/d.txt', 'd\n', 'rejected');
    await appendNoteLines(repo, REF, [
      { commit: head, line: line(base) },
      { commit: single, line: line() },
      { commit: rejected, line: line(undefined, 'reject') },
    ]);
    const ctx = new LandingContext(repo, REF);
    const index = await CandidateIndex.build(ctx);
    expect(index.size).toBe(2); // a "reject" line names no change to carry over
    expect(index.forPaths(['src/a.txt', 'src/b.txt']).map((c) => c.id)).toEqual([head]);
    expect(index.forPaths(['src/b.txt'])).toEqual([]); // a part of the change is not the change
    expect(index.forPaths(['src/c.txt']).map((c) => c.id)).toEqual([single]);
    expect(index.forPaths(['src/d.txt'])).toEqual([]);

    // A rebased copy keeps author, date and message; the head itself is never its own candidate.
    await git(repo, 'checkout', '-q', '-b', 'copy', base);
    await git(repo, 'cherry-pick', head);
    const copy = await git(repo, 'rev-parse', 'HEAD');
    expect(index.forIdentity(await ctx.commit(copy)).map((c) => c.id)).toEqual([head]);
    expect(index.forIdentity(await ctx.commit(head))).toEqual([]);
  });

  it('diff-tree --stdin answers every request in order, empty diffs included', async () => {
    const repo = await initRepo(join(await tempDir(), 'r'));
    const a = await commitFile(repo, 'x', '1\n');
    const b = await commitFile(repo, 'y/z', '2\n');
    expect(await changedPathsBatch(repo, [{ commit: b }, { from: a, to: a }, { from: a, to: b }])).toEqual([['y/z'], [], ['y/z']]);
  });
});
