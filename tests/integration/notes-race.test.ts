/**
 * The property the whole notes design exists for: writers racing on the same commits, from
 * different clones, processes and outboxes, never lose a signature line.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseNoteLine } from '../../lib/notes/line';
import { createNotesOutbox } from '../../lib/notes/outbox';
import {
  appendNoteLines,
  DEFAULT_NOTES_REF,
  fetchNotes,
  listNotedCommits,
  publishNotes,
  readNoteLinesBatch,
  type NoteEntry,
} from '../../lib/notes/store';
import { writeNotesCommit } from '../../lib/notes/write';
import { cleanupTempDirs, fakeNoteLine, git, gitNotesShow, remoteWithClones, tempDir } from '../support/git-fixtures';

afterAll(cleanupTempDirs);

const REF = DEFAULT_NOTES_REF;
const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

function pick<T>(items: T[], n: number): T[] {
  return [...items].sort(() => Math.random() - 0.5).slice(0, n);
}

/** What a fresh clone of the remote sees after fetching the notes: commit → lines. */
async function remoteLines(remote: string, commits: string[]): Promise<Map<string, string[]>> {
  const dir = join(await tempDir(), 'observer');
  await git(await tempDir(), 'clone', '--quiet', remote, dir);
  expect((await fetchNotes(dir, 'origin', REF)).found).toBe(true);
  return readNoteLinesBatch(dir, REF, commits);
}

function expectAllArrived(got: Map<string, string[]>, expected: NoteEntry[]) {
  const want = new Map<string, Set<string>>();
  for (const e of expected) want.set(e.commit, (want.get(e.commit) ?? new Set()).add(e.line));
  for (const [commit, lines] of want) {
    const have = got.get(commit) ?? [];
    expect(have.length, `lines on ${commit}`).toBe(lines.size);
    expect(new Set(have)).toEqual(lines);
    for (const l of have) expect(() => parseNoteLine(l)).not.toThrow();
  }
}

describe('the race: two clones sign the same commits at the same time', () => {
  it('appendNoteLines + publishNotes from both clones, many interleaved rounds: the remote ends with every line', async () => {
    const { clones, commits, remote } = await remoteWithClones({ clones: 2, commits: 5 });
    const all: NoteEntry[] = [];
    let merges = 0;
    for (let round = 0; round < 15; round++) {
      const targets = pick(commits, 1 + (round % 3)); // both clones sign the same commits this round
      await Promise.all(
        clones.map(async (clone, i) => {
          const entries = targets.map((commit) => ({ commit, line: fakeNoteLine(`clone${i}-r${round}@example.com`) }));
          all.push(...entries);
          await appendNoteLines(clone, REF, entries);
          const r = await publishNotes(clone, 'origin', REF, { retries: 8, backoffMs: 5 });
          merges += r.merges;
          // A publish that exhausts its retries keeps the lines locally; the settle below sends them.
        }),
      );
    }
    for (const clone of clones) expect((await publishNotes(clone, 'origin', REF, { retries: 8 })).pushed).toBe(true);

    expect(merges).toBeGreaterThan(0); // the rejected-push path really ran
    expectAllArrived(await remoteLines(remote, commits), all);
    // And the remote's own notes, as stock git shows them, hold the same lines.
    const shown = await gitNotesShow(remote, REF, all[0].commit);
    expect(shown).toContain(all[0].line);
  });

  it('outboxes in both clones, adds fired without waiting, plus a second outbox on one clone', async () => {
    const { clones, commits, remote } = await remoteWithClones({ clones: 2, commits: 4 });
    const boxes = [
      createNotesOutbox(clones[0], 'origin', REF, { retries: 8, backoffMs: 5 }),
      createNotesOutbox(clones[1], 'origin', REF, { retries: 8, backoffMs: 5 }),
      createNotesOutbox(clones[1], 'origin', REF, { retries: 8, backoffMs: 5 }), // same clone, same process
    ];
    const all: NoteEntry[] = [];
    const adds: Promise<unknown>[] = [];
    for (let round = 0; round < 20; round++) {
      const targets = pick(commits, 2);
      boxes.forEach((box, i) => {
        const entries = targets.map((commit) => ({ commit, line: fakeNoteLine(`box${i}-r${round}@example.com`) }));
        all.push(...entries);
        adds.push(box.add(entries));
      });
      if (round % 4 === 0) await new Promise((r) => setTimeout(r, 3));
    }
    const results = (await Promise.all(adds)) as Array<{ added: number; published: Promise<{ pushed: boolean }> }>;
    expect(results.reduce((n, r) => n + r.added, 0)).toBe(all.length);
    await Promise.all(results.map((r) => r.published));
    for (const box of boxes) expect((await box.flush()).pushed).toBe(true);

    expectAllArrived(await remoteLines(remote, commits), all);
    // Coalescing happened: far fewer local notes commits than add() calls.
    const writes = boxes.reduce((n, b) => n + b.stats.writes, 0);
    expect(writes).toBeLessThan(adds.length);
  });
});

describe('two processes writing the same clone', () => {
  it('a write from a stale tip is refused (compare-and-swap) and changes nothing', async () => {
    const { clones, commits } = await remoteWithClones({ clones: 1, commits: 2 });
    const [repo] = clones;
    await appendNoteLines(repo, REF, [{ commit: commits[0], line: fakeNoteLine() }]);
    const stale = await git(repo, 'rev-parse', REF);
    await appendNoteLines(repo, REF, [{ commit: commits[1], line: fakeNoteLine() }]);
    const current = await git(repo, 'rev-parse', REF);

    const outcome = await writeNotesCommit(repo, REF, stale, new Map([[commits[0], Buffer.from('lost?\n')]]), 'stale\n');
    expect(outcome).toMatchObject({ ok: false, raced: true });
    expect(await git(repo, 'rev-parse', REF)).toBe(current);
    // A writer that thinks the ref does not exist yet is refused too.
    expect(await writeNotesCommit(repo, REF, null, new Map([[commits[0], Buffer.from('x\n')]]), 'new\n')).toMatchObject({ ok: false, raced: true });
    expect(await git(repo, 'rev-parse', REF)).toBe(current);
  });

  it('concurrent appends from two OS processes lose no line', async () => {
    const { clones, commits } = await remoteWithClones({ clones: 1, commits: 3 });
    const [repo] = clones;
    const dir = await tempDir();
    const script = join(dir, 'writer.mts');
    await writeFile(
      script,
      `import { appendNoteLines, notesWriteStats } from ${JSON.stringify(join(PROJECT_ROOT, 'lib/notes/store.ts'))};
const [repo, ref, payload] = process.argv.slice(2);
const rounds: Array<Array<{ commit: string; line: string }>> = JSON.parse(payload);
for (const entries of rounds) await appendNoteLines(repo, ref, entries);
console.log(JSON.stringify(notesWriteStats));
`,
    );
    const plan = (who: string) =>
      Array.from({ length: 30 }, (_, round) => pick(commits, 2).map((commit) => ({ commit, line: fakeNoteLine(`${who}-${round}@example.com`) })));
    const plans = [plan('p1'), plan('p2')];
    const run = (rounds: NoteEntry[][]) =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', script, repo, REF, JSON.stringify(rounds)], { cwd: PROJECT_ROOT });
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (err += d));
        child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`writer exited ${code}: ${err}`))));
      });
    const outputs = await Promise.all(plans.map(run));
    const casRetries = outputs.reduce((n, o) => n + JSON.parse(o.trim().split('\n').pop()!).casRetries, 0);
    // Both writers really collided (typically dozens of times), so the CAS path was exercised.
    expect(casRetries).toBeGreaterThan(0);

    const expected = plans.flat(2);
    expectAllArrived(await readNoteLinesBatch(repo, REF, commits), expected);
    expect((await listNotedCommits(repo, REF)).length).toBeLessThanOrEqual(3);
  });
});
