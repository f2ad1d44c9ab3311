import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createNotesOutbox } from '../../lib/notes/outbox';
import { DEFAULT_NOTES_REF, readNoteLines, type NoteEntry } from '../../lib/notes/store';
import { cleanupTempDirs, fakeNoteLine, git, gitNotesShow, remoteWithClones } from '../support/git-fixtures';

afterAll(cleanupTempDirs);

const REF = DEFAULT_NOTES_REF;

async function notesCommits(repo: string): Promise<number> {
  return Number(await git(repo, 'rev-list', '--count', REF));
}

describe('the notes outbox', () => {
  it('turns signatures that arrive together into one notes commit and one push', async () => {
    const { clones, commits, remote } = await remoteWithClones({ clones: 1, commits: 5 });
    const box = createNotesOutbox(clones[0], 'origin', REF);
    const calls: NoteEntry[][] = Array.from({ length: 25 }, (_, i) => [
      { commit: commits[i % 5], line: fakeNoteLine() },
      { commit: commits[(i + 1) % 5], line: fakeNoteLine() },
    ]);
    const results = await Promise.all(calls.map((entries) => box.add(entries)));
    expect(results.map((r) => r.added)).toEqual(calls.map(() => 2));
    const published = await Promise.all(results.map((r) => r.published));
    expect(published.every((p) => p.pushed)).toBe(true);
    expect(box.stats).toEqual({ writes: 1, publishes: 1 });
    expect(await notesCommits(clones[0])).toBe(1);
    for (const e of calls.flat()) expect(await gitNotesShow(remote, REF, e.commit)).toContain(e.line);
  });

  it('resolves add() once lines are durable locally, before the push', async () => {
    const { clones, commits, remote } = await remoteWithClones({ clones: 1, commits: 1 });
    const box = createNotesOutbox(clones[0], 'origin', REF, { autoPublish: false });
    const line = fakeNoteLine();
    const r = await box.add([{ commit: commits[0], line }]);
    expect(r.added).toBe(1);
    expect(await readNoteLines(clones[0], REF, commits[0])).toEqual([line]);
    expect(await gitNotesShow(remote, REF, commits[0])).toBeNull();
    expect((await r.published).pushed).toBe(false);
    expect((await box.flush()).pushed).toBe(true);
    expect(await gitNotesShow(remote, REF, commits[0])).toBe(line + '\n');
  });

  it('sends what arrives during a push in the next single push', async () => {
    const { clones, commits, remote } = await remoteWithClones({ clones: 1, commits: 2 });
    const box = createNotesOutbox(clones[0], 'origin', REF);
    const first = await box.add([{ commit: commits[0], line: fakeNoteLine() }]);
    // The first push is now in flight; these three arrive meanwhile.
    const later = [0, 1, 2].map(() => ({ commit: commits[1], line: fakeNoteLine() }));
    const more = await Promise.all(later.map((e) => box.add([e])));
    const results = await Promise.all([first.published, ...more.map((m) => m.published)]);
    expect(results.every((r) => r.pushed)).toBe(true);
    expect(box.stats).toEqual({ writes: 2, publishes: 2 });
    const shown = await gitNotesShow(remote, REF, commits[1]);
    for (const e of later) expect(shown).toContain(e.line);
  });

  it('counts a line brought by two callers once, and ignores one already stored', async () => {
    const { clones, commits } = await remoteWithClones({ clones: 1, commits: 1 });
    const box = createNotesOutbox(clones[0], 'origin', REF, { autoPublish: false });
    const shared = fakeNoteLine();
    const [a, b] = await Promise.all([box.add([{ commit: commits[0], line: shared }]), box.add([{ commit: commits[0], line: shared }])]);
    expect(a.added + b.added).toBe(1);
    expect((await box.add([{ commit: commits[0], line: shared }])).added).toBe(0);
    expect(await notesCommits(clones[0])).toBe(1);
  });

  it('fails only the caller with bad input; the others’ lines go in', async () => {
    const { clones, commits } = await remoteWithClones({ clones: 1, commits: 1 });
    const box = createNotesOutbox(clones[0], 'origin', REF, { autoPublish: false });
    const good = { commit: commits[0], line: fakeNoteLine() };
    const [ok, unknown, malformed] = await Promise.allSettled([
      box.add([good]),
      box.add([{ commit: 'd'.repeat(40), line: fakeNoteLine() }]),
      box.add([{ commit: commits[0], line: 'countersign-v1 approve' }]),
    ]);
    expect(ok).toMatchObject({ status: 'fulfilled', value: { added: 1 } });
    expect(unknown).toMatchObject({ status: 'rejected', reason: { code: 'unknown-commit' } });
    expect(malformed).toMatchObject({ status: 'rejected', reason: { code: 'bad-note-line' } });
    expect(await readNoteLines(clones[0], REF, commits[0])).toEqual([good.line]);
  });

  it('reports a remote that is down through published, and delivers on a later flush', async () => {
    const { clones, commits, remote } = await remoteWithClones({ clones: 1, commits: 1 });
    const [repo] = clones;
    await git(repo, 'remote', 'set-url', 'origin', join(remote, '..', 'nowhere.git'));
    const box = createNotesOutbox(repo, 'origin', REF);
    const line = fakeNoteLine();
    const r = await box.add([{ commit: commits[0], line }]);
    const p = await r.published;
    expect(p.pushed).toBe(false);
    expect(p.error).toMatch(/cannot push to origin/);
    await git(repo, 'remote', 'set-url', 'origin', remote);
    expect((await box.flush()).pushed).toBe(true);
    expect(await gitNotesShow(remote, REF, commits[0])).toBe(line + '\n');
  });
});
