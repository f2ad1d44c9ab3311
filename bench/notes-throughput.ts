/**
 * Notes throughput: signatures per second appended to the local notes ref AND pushed to a local
 * bare remote, with batching (the outbox) vs one append + one push per signature.
 *
 *   npx tsx bench/notes-throughput.ts [signatures=4000] [commits=400]
 *
 * Lines are syntactically valid note lines with random signature bytes (signing is not measured
 * here). At the end a fresh clone fetches the notes and every line is checked to be there.
 */
import { join } from 'node:path';
import { createNotesOutbox } from '../lib/notes/outbox';
import { appendNoteLines, DEFAULT_NOTES_REF, fetchNotes, publishNotes, readNoteLinesBatch, type NoteEntry } from '../lib/notes/store';
import { cleanupTempDirs, fakeNoteLine, git, makeEmptyCommits, remoteWithClones, tempDir } from '../tests/support/git-fixtures';

const REF = DEFAULT_NOTES_REF;
const TOTAL = Number(process.argv[2] ?? 4000);
const COMMITS = Number(process.argv[3] ?? 400);
const SINGLE = Math.min(300, TOTAL);

async function setup(commitCount: number) {
  const env = await remoteWithClones({ clones: 1, commits: 1 });
  const clone = env.clones[0];
  const commits = [...env.commits, ...(await makeEmptyCommits(clone, commitCount - 1))];
  await git(clone, 'push', '--quiet', 'origin', 'main:main');
  return { clone, remote: env.remote, commits };
}

function entriesFor(commits: string[], n: number): NoteEntry[] {
  return Array.from({ length: n }, (_, i) => ({ commit: commits[(i * 7919) % commits.length], line: fakeNoteLine() }));
}

/** Every line must be on the remote: a fresh clone fetches and reads them back. */
async function checkRemote(remote: string, entries: NoteEntry[]): Promise<void> {
  const dir = join(await tempDir(), 'check');
  await git(await tempDir(), 'clone', '--quiet', remote, dir);
  await fetchNotes(dir, 'origin', REF);
  const got = await readNoteLinesBatch(dir, REF, [...new Set(entries.map((e) => e.commit))]);
  const missing = entries.filter((e) => !got.get(e.commit)!.includes(e.line));
  if (missing.length) throw new Error(`${missing.length} lines missing on the remote`);
}

function rate(n: number, ms: number): string {
  return `${((n * 1000) / ms).toFixed(0).padStart(6)} signatures/s  (${n} in ${(ms / 1000).toFixed(2)} s)`;
}

async function unbatched() {
  const { clone, remote, commits } = await setup(COMMITS);
  const entries = entriesFor(commits, SINGLE);
  const t0 = performance.now();
  for (const e of entries) {
    await appendNoteLines(clone, REF, [e]);
    const r = await publishNotes(clone, 'origin', REF);
    if (!r.pushed) throw new Error(r.error);
  }
  const ms = performance.now() - t0;
  await checkRemote(remote, entries);
  return { n: SINGLE, ms };
}

/** Batches of `size` arrive one after another; each add is awaited (durable), pushes overlap. */
async function outboxBatches(size: number) {
  const { clone, remote, commits } = await setup(COMMITS);
  const entries = entriesFor(commits, TOTAL);
  const box = createNotesOutbox(clone, 'origin', REF);
  const t0 = performance.now();
  for (let i = 0; i < entries.length; i += size) await box.add(entries.slice(i, i + size));
  const r = await box.flush();
  const ms = performance.now() - t0;
  if (!r.pushed) throw new Error(r.error);
  await checkRemote(remote, entries);
  return { n: TOTAL, ms, ...box.stats };
}

/** Each batch of `size` is appended and pushed before the next one starts: one push per batch. */
async function strictBatches(size: number) {
  const { clone, remote, commits } = await setup(COMMITS);
  const entries = entriesFor(commits, TOTAL);
  const t0 = performance.now();
  for (let i = 0; i < entries.length; i += size) {
    await appendNoteLines(clone, REF, entries.slice(i, i + size));
    const r = await publishNotes(clone, 'origin', REF);
    if (!r.pushed) throw new Error(r.error);
  }
  const ms = performance.now() - t0;
  await checkRemote(remote, entries);
  return { n: TOTAL, ms, pushes: Math.ceil(TOTAL / size) };
}

/** Single-signature add() calls from many concurrent requests (waves of 50 at once). */
async function concurrentSingles() {
  const { clone, remote, commits } = await setup(COMMITS);
  const entries = entriesFor(commits, TOTAL);
  const box = createNotesOutbox(clone, 'origin', REF);
  const t0 = performance.now();
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < entries.length; i += 50) {
    for (const e of entries.slice(i, i + 50)) pending.push(box.add([e]).then((r) => r.published));
    await new Promise((r) => setTimeout(r, 1)); // the next wave arrives a moment later
  }
  await Promise.all(pending);
  const r = await box.flush();
  const ms = performance.now() - t0;
  if (!r.pushed) throw new Error(r.error);
  await checkRemote(remote, entries);
  return { n: TOTAL, ms, ...box.stats };
}

async function main() {
  console.log(`notes throughput: local bare remote, ${COMMITS} commits, git ${(await git('.', 'version')).replace('git version ', '')}`);
  try {
    const u = await unbatched();
    console.log(`one append + one push per signature:        ${rate(u.n, u.ms)}  ${(u.ms / u.n).toFixed(1)} ms each`);
    for (const size of [50, 100]) {
      const s = await strictBatches(size);
      console.log(`batches of ${String(size).padStart(3)}, append+push per batch:   ${rate(s.n, s.ms)}  ${s.pushes} pushes`);
    }
    for (const size of [50, 100]) {
      const b = await outboxBatches(size);
      console.log(`outbox, batches of ${String(size).padStart(3)} (pushes overlap): ${rate(b.n, b.ms)}  ${b.writes} notes commits, ${b.publishes} pushes`);
    }
    const c = await concurrentSingles();
    console.log(`outbox, ${c.n} single-line add() calls:    ${rate(c.n, c.ms)}  ${c.writes} notes commits, ${c.publishes} pushes`);
    console.log('every line verified present on the remote through a fresh clone');
  } finally {
    await cleanupTempDirs();
  }
}

await main();
