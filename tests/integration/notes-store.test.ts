import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rejectionOf } from '../support/errors';
import {
  appendNoteLines,
  DEFAULT_NOTES_REF,
  fetchNotes,
  listNotedCommits,
  publishNotes,
  readNoteLines,
  readNoteLinesBatch,
  sideRefFor,
} from '../../lib/notes/store';
import { runGit } from '../../lib/git/run';
import {
  cleanupTempDirs,
  commitFile,
  fakeNoteLine,
  git,
  gitNotesShow,
  initRepo,
  makeEmptyCommits,
  remoteWithClones,
  tempDir,
} from '../support/git-fixtures';

afterAll(cleanupTempDirs);

const REF = DEFAULT_NOTES_REF;
const sorted = (a: string[]) => [...a].sort();

async function tip(repo: string, ref = REF): Promise<string | null> {
  const r = await runGit(['rev-parse', '--verify', '--quiet', ref], { cwd: repo, allowFailure: true });
  return r.code === 0 ? r.stdout.trim() : null;
}

async function notesCommitCount(repo: string, ref = REF): Promise<number> {
  return (await tip(repo, ref)) ? Number(await git(repo, 'rev-list', '--count', ref)) : 0;
}

describe('appending and reading note lines locally', () => {
  it('adds lines, reads them back sorted, and stores one line per signature as git notes shows it', async () => {
    const { clones, commits } = await remoteWithClones({ clones: 1, commits: 2 });
    const [repo] = clones;
    const [l1, l2] = [fakeNoteLine('bob@example.com'), fakeNoteLine('alice@example.com')];
    expect(await readNoteLines(repo, REF, commits[0])).toEqual([]);

    expect(await appendNoteLines(repo, REF, [{ commit: commits[0], line: l1 }, { commit: commits[0], line: l2 }])).toEqual({ added: 2 });
    expect(await readNoteLines(repo, REF, commits[0])).toEqual(sorted([l1, l2]));
    expect(await gitNotesShow(repo, REF, commits[0])).toBe(sorted([l1, l2]).join('\n') + '\n');
    expect(await readNoteLines(repo, REF, commits[1])).toEqual([]);
    expect(await listNotedCommits(repo, REF)).toEqual([commits[0]]);
  });

  it('changes nothing — no new notes commit — when the same signature is added again', async () => {
    const { clones, commits } = await remoteWithClones({ clones: 1, commits: 1 });
    const [repo] = clones;
    const line = fakeNoteLine();
    await appendNoteLines(repo, REF, [{ commit: commits[0], line }]);
    const before = await tip(repo);
    expect(await appendNoteLines(repo, REF, [{ commit: commits[0], line }, { commit: commits[0], line }])).toEqual({ added: 0 });
    expect(await tip(repo)).toBe(before);
    // The same line twice in one call counts once.
    const other = fakeNoteLine();
    expect(await appendNoteLines(repo, REF, [{ commit: commits[0], line: other }, { commit: commits[0], line: other }])).toEqual({ added: 1 });
    expect(await readNoteLines(repo, REF, commits[0])).toEqual(sorted([line, other]));
  });

  it('keeps lines other tools put in the note, and reads only ours', async () => {
    const { clones, commits } = await remoteWithClones({ clones: 1, commits: 1 });
    const [repo] = clones;
    await git(repo, 'notes', `--ref=${REF}`, 'add', '-m', 'reviewed-by: someone else', commits[0]);
    const line = fakeNoteLine();
    await appendNoteLines(repo, REF, [{ commit: commits[0], line }]);
    expect(await readNoteLines(repo, REF, commits[0])).toEqual([line]);
    expect(await gitNotesShow(repo, REF, commits[0])).toBe(sorted([line, 'reviewed-by: someone else']).join('\n') + '\n');
  });

  it('writes all entries of one call, over many commits, in ONE notes commit', async () => {
    const { clones, commits } = await remoteWithClones({ clones: 1, commits: 12 });
    const [repo] = clones;
    const entries = commits.flatMap((commit) => [{ commit, line: fakeNoteLine() }, { commit, line: fakeNoteLine() }]);
    expect(await appendNoteLines(repo, REF, entries)).toEqual({ added: 24 });
    expect(await notesCommitCount(repo)).toBe(1);
    const batch = await readNoteLinesBatch(repo, REF, commits);
    for (const c of commits) expect(batch.get(c)).toEqual(sorted(entries.filter((e) => e.commit === c).map((e) => e.line)));
    await appendNoteLines(repo, REF, [{ commit: commits[0], line: fakeNoteLine() }, { commit: commits[5], line: fakeNoteLine() }]);
    expect(await notesCommitCount(repo)).toBe(2);
  });

  it('refuses bad input with a typed error and writes nothing', async () => {
    const { clones, commits } = await remoteWithClones({ clones: 1, commits: 1 });
    const [repo] = clones;
    await appendNoteLines(repo, REF, [{ commit: commits[0], line: fakeNoteLine() }]);
    const before = await tip(repo);
    const good = { commit: commits[0], line: fakeNoteLine() };
    const cases: Array<[unknown, string, RegExp]> = [
      [[good, { commit: commits[0], line: 'not a note line' }], 'bad-note-line', /does not start with "countersign-v1"/],
      [[good, { commit: commits[0], line: fakeNoteLine() + '\n' + fakeNoteLine() }], 'bad-note-line', /one line/],
      [[good, { commit: 'HEAD', line: fakeNoteLine() }], 'unknown-commit', /not a commit id/],
      [[good, { commit: 'e'.repeat(40), line: fakeNoteLine() }], 'unknown-commit', /is not in .*nothing was written/],
      [[good, { commit: await git(repo, 'rev-parse', 'HEAD^{tree}'), line: fakeNoteLine() }], 'unknown-commit', /is not in/],
    ];
    for (const [entries, code, message] of cases) {
      const e = await rejectionOf(appendNoteLines(repo, REF, entries as never));
      expect(e.code).toBe(code);
      expect(e.message).toMatch(message);
    }
    expect((await rejectionOf(appendNoteLines(repo, 'refs/heads/main', [good]))).code).toBe('bad-input');
    expect((await rejectionOf(appendNoteLines(repo, 'refs/notes/../heads/x', [good]))).code).toBe('bad-input');
    expect(await tip(repo)).toBe(before);
  });

  it('stays readable by git notes with more than 300 notes (fanout), and updates in place', async () => {
    const repo = await initRepo(join(await tempDir(), 'fanout'));
    await commitFile(repo, 'a', 'a');
    const ids = await makeEmptyCommits(repo, 420);
    const entries = ids.map((commit) => ({ commit, line: fakeNoteLine() }));
    expect(await appendNoteLines(repo, REF, entries)).toEqual({ added: 420 });

    // git chose a fanout: the top level holds two-hex-digit directories, not 420 flat entries.
    const top = (await git(repo, 'ls-tree', REF)).split('\n');
    expect(top.length).toBeLessThan(300);
    expect(top.every((l) => /^040000 tree [0-9a-f]+\t[0-9a-f]{2}$/.test(l))).toBe(true);
    for (const i of [0, 137, 419]) expect(await gitNotesShow(repo, REF, ids[i])).toBe(entries[i].line + '\n');

    const extra = fakeNoteLine();
    await appendNoteLines(repo, REF, [{ commit: ids[137], line: extra }]);
    expect(await gitNotesShow(repo, REF, ids[137])).toBe(sorted([entries[137].line, extra]).join('\n') + '\n');
    expect((await git(repo, 'ls-tree', '-r', REF)).split('\n')).toHaveLength(420); // replaced, not duplicated
    const all = await readNoteLinesBatch(repo, REF, ids);
    expect(ids.every((id, i) => all.get(id)!.includes(entries[i].line))).toBe(true);
    expect((await git(repo, 'notes', `--ref=${REF}`, 'list')).split('\n')).toHaveLength(420);
  });

  it('keeps one note per commit after `git notes` re-laid the tree with another fanout', async () => {
    // fast-import keeps up to 255 notes flat; `git notes add` rewrites the same tree with fanout 1.
    const repo = await initRepo(join(await tempDir(), 'relaid'));
    await commitFile(repo, 'a', 'a');
    const ids = await makeEmptyCommits(repo, 250);
    const entries = ids.slice(0, 249).map((commit) => ({ commit, line: fakeNoteLine() }));
    await appendNoteLines(repo, REF, entries);
    expect(await git(repo, 'ls-tree', REF)).not.toMatch(/\ttree/);
    await git(repo, 'notes', `--ref=${REF}`, 'add', '-m', fakeNoteLine(), ids[249]);
    expect(await git(repo, 'ls-tree', REF)).toMatch(/^040000 tree [0-9a-f]+\t[0-9a-f]{2}$/m);

    const extra = fakeNoteLine();
    await appendNoteLines(repo, REF, [{ commit: ids[7], line: extra }]);
    expect(await gitNotesShow(repo, REF, ids[7])).toBe(sorted([entries[7].line, extra]).join('\n') + '\n');
    expect((await git(repo, 'ls-tree', '-r', REF)).split('\n')).toHaveLength(250);
    expect(await readNoteLines(repo, REF, ids[7])).toEqual(sorted([entries[7].line, extra]));
  });

  it('reads and updates notes kept under a deeper (two-level) fanout written by another tool', async () => {
    const { clones, commits } = await remoteWithClones({ clones: 1, commits: 3 });
    const [repo] = clones;
    const lines = commits.map(() => fakeNoteLine());
    const index = join(await tempDir(), 'index');
    for (const [i, c] of commits.entries()) {
      const blob = (await runGit(['hash-object', '-w', '--stdin'], { cwd: repo, input: lines[i] + '\n' })).stdout.trim();
      const path = `${c.slice(0, 2)}/${c.slice(2, 4)}/${c.slice(4)}`;
      await runGit(['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`], { cwd: repo, env: { GIT_INDEX_FILE: index } });
    }
    const tree = (await runGit(['write-tree'], { cwd: repo, env: { GIT_INDEX_FILE: index } })).stdout.trim();
    await git(repo, 'update-ref', REF, await git(repo, 'commit-tree', '--no-gpg-sign', '-m', 'other tool', tree));
    expect(await gitNotesShow(repo, REF, commits[1])).toBe(lines[1] + '\n'); // git reads this layout

    expect(await readNoteLines(repo, REF, commits[1])).toEqual([lines[1]]);
    const extra = fakeNoteLine();
    expect(await appendNoteLines(repo, REF, [{ commit: commits[1], line: extra }])).toEqual({ added: 1 });
    expect(await gitNotesShow(repo, REF, commits[1])).toBe(sorted([lines[1], extra]).join('\n') + '\n');
    expect((await git(repo, 'ls-tree', '-r', REF)).split('\n')).toHaveLength(3);
    for (const i of [0, 2]) expect(await gitNotesShow(repo, REF, commits[i])).toBe(lines[i] + '\n');
  });

  it('works in a SHA-256 repository, through a remote', async () => {
    const { clones, commits, remote } = await remoteWithClones({ clones: 2, commits: 2, objectFormat: 'sha256' });
    const line = fakeNoteLine();
    await appendNoteLines(clones[0], REF, [{ commit: commits[1], line }]);
    expect(await publishNotes(clones[0], 'origin', REF)).toMatchObject({ pushed: true, attempts: 1 });
    expect(await gitNotesShow(remote, REF, commits[1])).toBe(line + '\n');
    expect(await fetchNotes(clones[1], 'origin', REF)).toEqual({ found: true, updated: true });
    expect(await readNoteLines(clones[1], REF, commits[1])).toEqual([line]);
  });
});

describe('publishing to the remote', () => {
  it('on rejection fetches into a side ref, merges and pushes again; no line is lost', async () => {
    const { clones, commits, remote } = await remoteWithClones({ clones: 2, commits: 2 });
    const [a, b] = clones;
    // Someone followed common advice and fetches all notes, forced, into the live refs.
    await git(b, 'config', '--add', 'remote.origin.fetch', '+refs/notes/*:refs/notes/*');
    const la = fakeNoteLine('a@example.com');
    const lb = fakeNoteLine('b@example.com');
    const lb2 = fakeNoteLine('b2@example.com');
    await appendNoteLines(a, REF, [{ commit: commits[0], line: la }]);
    await appendNoteLines(b, REF, [{ commit: commits[0], line: lb }, { commit: commits[1], line: lb2 }]);

    expect(await publishNotes(a, 'origin', REF)).toEqual({ pushed: true, attempts: 1, merges: 0 });
    const r = await publishNotes(b, 'origin', REF);
    expect(r).toEqual({ pushed: true, attempts: 2, merges: 1 });

    expect(await gitNotesShow(remote, REF, commits[0])).toBe(sorted([la, lb]).join('\n') + '\n');
    expect(await gitNotesShow(remote, REF, commits[1])).toBe(lb2 + '\n');
    expect(await readNoteLines(b, REF, commits[0])).toEqual(sorted([la, lb]));
    // The remote's notes went to the side ref, and nothing was ever fetched into the live ref.
    expect(await tip(b, sideRefFor(REF, 'origin'))).toBeTruthy();
    const reflog = await git(b, 'reflog', 'show', '--format=%gs', REF);
    expect(reflog).not.toMatch(/fetch/);
    // The merge result contains the remote's history, so the push was a fast-forward.
    expect(await tip(remote)).toBe(await tip(b));
  });

  it('reports an unreachable remote without throwing, keeps the lines, and publishes later', async () => {
    const { clones, commits, remote } = await remoteWithClones({ clones: 1, commits: 1 });
    const [repo] = clones;
    const line = fakeNoteLine();
    await appendNoteLines(repo, REF, [{ commit: commits[0], line }]);
    await git(repo, 'remote', 'set-url', 'origin', join(remote, '..', 'gone.git'));

    const down = await publishNotes(repo, 'origin', REF, { retries: 2, backoffMs: 1 });
    expect(down.pushed).toBe(false);
    expect(down.attempts).toBe(1);
    expect(down.error).toMatch(/cannot push to origin: .*does not appear to be a git repository/);
    expect(await readNoteLines(repo, REF, commits[0])).toEqual([line]);
    expect(await gitNotesShow(remote, REF, commits[0])).toBeNull();
    await expect(fetchNotes(repo, 'origin', REF)).rejects.toMatchObject({ code: 'git-failed' });

    await git(repo, 'remote', 'set-url', 'origin', remote);
    expect(await publishNotes(repo, 'origin', REF)).toMatchObject({ pushed: true });
    expect(await gitNotesShow(remote, REF, commits[0])).toBe(line + '\n');
  });

  it('has nothing to do without local notes, and says so when the push is already up to date', async () => {
    const { clones, commits } = await remoteWithClones({ clones: 1, commits: 1 });
    const [repo] = clones;
    expect(await publishNotes(repo, 'origin', REF)).toEqual({ pushed: true, attempts: 0, merges: 0 });
    await appendNoteLines(repo, REF, [{ commit: commits[0], line: fakeNoteLine() }]);
    expect(await publishNotes(repo, 'origin', REF)).toEqual({ pushed: true, attempts: 1, merges: 0 });
    expect(await publishNotes(repo, 'origin', REF)).toEqual({ pushed: true, attempts: 1, merges: 0 });
  });

  it('stops after the allowed retries, keeping the lines for a later publish', async () => {
    const { clones, commits, remote } = await remoteWithClones({ clones: 2, commits: 1 });
    const [a, b] = clones;
    await appendNoteLines(a, REF, [{ commit: commits[0], line: fakeNoteLine() }]);
    await publishNotes(a, 'origin', REF);
    const line = fakeNoteLine();
    await appendNoteLines(b, REF, [{ commit: commits[0], line }]);
    const r = await publishNotes(b, 'origin', REF, { retries: 0 });
    expect(r).toMatchObject({ pushed: false, attempts: 1, merges: 0 });
    expect(r.error).toMatch(/refused: \[rejected\].*gave up after 1 attempts/);
    expect(await readNoteLines(b, REF, commits[0])).toContain(line);
    expect(await publishNotes(b, 'origin', REF)).toEqual({ pushed: true, attempts: 2, merges: 1 });
    expect(await gitNotesShow(remote, REF, commits[0])).toContain(line);
  });

  it('reports a push the remote refuses for good (a hook) without retrying, keeping the lines', async () => {
    const { clones, commits, remote } = await remoteWithClones({ clones: 1, commits: 1 });
    const [repo] = clones;
    await writeFile(join(remote, 'hooks', 'update'), '#!/bin/sh\necho "notes are frozen" >&2\nexit 1\n', { mode: 0o755 });
    const line = fakeNoteLine();
    await appendNoteLines(repo, REF, [{ commit: commits[0], line }]);
    const r = await publishNotes(repo, 'origin', REF, { retries: 3, backoffMs: 1 });
    expect(r).toMatchObject({ pushed: false, attempts: 1 });
    expect(r.error).toMatch(/refused: \[remote rejected\] \(hook declined\)/);
    expect(await readNoteLines(repo, REF, commits[0])).toEqual([line]);
  });

  it('fetchNotes brings a fresh clone the remote’s notes and keeps unpublished local lines', async () => {
    const { clones, commits } = await remoteWithClones({ clones: 2, commits: 2 });
    const [a, b] = clones;
    expect(await fetchNotes(b, 'origin', REF)).toEqual({ found: false, updated: false });
    const la = fakeNoteLine();
    await appendNoteLines(a, REF, [{ commit: commits[0], line: la }]);
    await publishNotes(a, 'origin', REF);

    const local = fakeNoteLine();
    await appendNoteLines(b, REF, [{ commit: commits[0], line: local }]);
    expect(await fetchNotes(b, 'origin', REF)).toEqual({ found: true, updated: true });
    expect(await readNoteLines(b, REF, commits[0])).toEqual(sorted([la, local]));
    expect(await fetchNotes(b, 'origin', REF)).toEqual({ found: true, updated: false });

    // Notes on commits this clone has never fetched merge fine too.
    await git(a, 'checkout', '--quiet', '-b', 'unseen');
    const unseen = await commitFile(a, 'u.txt', 'u\n');
    await appendNoteLines(a, REF, [{ commit: unseen, line: la }]);
    expect((await publishNotes(a, 'origin', REF)).pushed).toBe(true);
    expect(await fetchNotes(b, 'origin', REF)).toEqual({ found: true, updated: true });
    expect(await readNoteLines(b, REF, unseen)).toEqual([la]);
  });
});
