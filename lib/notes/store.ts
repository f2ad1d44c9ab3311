import { randomBytes } from 'node:crypto';
import { CountersignError } from '../errors';
import { readObjects } from '../git/objects';
import { runGit } from '../git/run';
import { OBJECT_ID_RE } from '../statement/fields';
import { noteLines, parseNoteLine } from './line';
import { repoKey, withLock } from './lock';
import { checkNotesRef, checkRemote, DEFAULT_NOTES_REF, sideRefFor } from './ref';
import { listNotes, readNotesFor, readTip } from './tree';
import { noteContent, noteLineSet, toLatin1Line, unionLines } from './union';
import { maybeMaintain, NOTES_IDENTITY_ENV, writeNotesCommit } from './write';

export { DEFAULT_NOTES_REF, sideRefFor } from './ref';

/** One signature line for one commit. */
export interface NoteEntry {
  commit: string;
  line: string;
}

export interface PublishOptions {
  /** Fetch-merge-push rounds after the first push is rejected (default 5). */
  retries?: number;
  /** Base of the exponential backoff between rounds, in ms (default 25); jittered. */
  backoffMs?: number;
}

export interface PublishResult {
  /** The remote's notes ref now contains everything the local ref held when we pushed. */
  pushed: boolean;
  /** Push attempts made (0: there was nothing to publish). */
  attempts: number;
  /** Times the remote's notes were fetched to the side ref and merged in. */
  merges: number;
  /** Why not pushed: unreachable remote, refused push, or retries exhausted. */
  error?: string;
}

export interface FetchResult {
  /** The remote has the notes ref. */
  found: boolean;
  /** The local notes ref changed (new lines arrived). */
  updated: boolean;
}

/** Local CAS rounds before giving up; with the backoff below that is several seconds of contention. */
const WRITE_ATTEMPTS = 40;
/** Full-jitter exponential backoff: breaks the lock-step in which one writer keeps losing to another. */
const casBackoff = (attempt: number) => sleep(Math.random() * Math.min(250, 4 * 2 ** attempt));

/** Times a local write or merge lost the compare-and-swap to another writer and was redone (diagnostics). */
export const notesWriteStats = { casRetries: 0 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const writeKey = (repoDir: string, ref: string) => `notes-write:${repoKey(repoDir)}:${ref}`;
const publishKey = (repoDir: string) => `notes-publish:${repoKey(repoDir)}`;

function checkCommitId(commit: string): string {
  if (typeof commit !== 'string' || !OBJECT_ID_RE.test(commit.toLowerCase())) {
    throw new CountersignError('unknown-commit', `${JSON.stringify(String(commit).slice(0, 100))} is not a commit id: expected a full hex object id (40 or 64 digits)`);
  }
  return commit.toLowerCase();
}

// ---------------------------------------------------------------------------------------------
// Reading

/** Our signature lines (see line.ts `noteLines`) in the note on `commit`; [] when there is none. */
export async function readNoteLines(repoDir: string, notesRef: string, commit: string): Promise<string[]> {
  const id = checkCommitId(commit);
  return (await readNoteLinesBatch(repoDir, notesRef, [id])).get(id) ?? [];
}

/** readNoteLines for many commits in a fixed number of git processes; every commit asked for is a key. */
export async function readNoteLinesBatch(repoDir: string, notesRef: string, commits: string[]): Promise<Map<string, string[]>> {
  checkNotesRef(notesRef);
  const ids = commits.map(checkCommitId);
  const notes = await readNotesFor(repoDir, await readTip(repoDir, notesRef), ids);
  const out = new Map<string, string[]>();
  for (const id of ids) {
    const note = notes.get(id);
    out.set(id, note ? noteLines(note.content.toString('utf8')) : []);
  }
  return out;
}

/** Every commit that has a note under `notesRef` (any content). */
export async function listNotedCommits(repoDir: string, notesRef: string): Promise<string[]> {
  checkNotesRef(notesRef);
  return [...(await listNotes(repoDir, await readTip(repoDir, notesRef))).keys()].sort();
}

// ---------------------------------------------------------------------------------------------
// Writing locally (the durable outbox)

/** Checks shape only (no I/O): full commit ids and lines that parse. Throws before anything is written. */
export function validateNoteEntries(entries: NoteEntry[]): NoteEntry[] {
  if (!Array.isArray(entries)) throw new CountersignError('bad-input', 'note entries must be an array of { commit, line }');
  return entries.map((e, i) => {
    if (!e || typeof e !== 'object') throw new CountersignError('bad-input', `note entry ${i} is not an object with commit and line`);
    const commit = checkCommitId(e.commit);
    if (typeof e.line !== 'string' || /[\r\n]/.test(e.line)) {
      throw new CountersignError('bad-note-line', `note entry ${i}: a note line must be one line of text`);
    }
    parseNoteLine(e.line); // throws bad-note-line naming the problem
    return { commit, line: e.line };
  });
}

/** The commits (full ids) among `commits` that the repository does not have as commits. */
export async function missingCommits(repoDir: string, commits: string[]): Promise<Set<string>> {
  const unique = [...new Set(commits)];
  const objects = await readObjects(repoDir, unique);
  return new Set(objects.filter((o) => !o.found || o.type !== 'commit').map((o) => o.name));
}

export const entryKey = (e: NoteEntry) => `${e.commit} ${e.line}`;

/**
 * Unions `entries` into the local notes ref in ONE notes commit and returns the entries that were
 * new. Entries must be validated and their commits present. Safe against other processes writing
 * the same ref (CAS + retry) and serialized against writers in this process.
 */
export async function writeValidatedEntries(repoDir: string, notesRef: string, entries: NoteEntry[]): Promise<Set<string>> {
  const byCommit = new Map<string, Set<string>>();
  for (const e of entries) {
    const set = byCommit.get(e.commit) ?? new Set<string>();
    set.add(toLatin1Line(e.line));
    byCommit.set(e.commit, set);
  }
  if (byCommit.size === 0) return new Set();

  return withLock(writeKey(repoDir, notesRef), async () => {
    for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
      const tip = await readTip(repoDir, notesRef);
      const notes = await readNotesFor(repoDir, tip, [...byCommit.keys()]);
      const changed = new Map<string, Buffer>();
      const replace = new Map<string, string[]>();
      const added = new Set<string>();
      let lineCount = 0;
      for (const [commit, lines] of byCommit) {
        const note = notes.get(commit);
        const existing = note ? noteLineSet(note.content) : [];
        const have = new Set(existing);
        const fresh = [...lines].filter((l) => !have.has(l));
        if (fresh.length === 0) continue; // the same signature twice changes nothing
        for (const l of fresh) added.add(`${commit} ${Buffer.from(l, 'latin1').toString('utf8')}`);
        lineCount += fresh.length;
        changed.set(commit, noteContent(unionLines(existing, fresh)));
        if (note) replace.set(commit, note.paths);
      }
      if (changed.size === 0) return added;
      const message = `countersign: ${lineCount} signature line(s) on ${changed.size} commit(s)\n`;
      const outcome = await writeNotesCommit(repoDir, notesRef, tip, changed, message, replace);
      if (outcome.ok) {
        await maybeMaintain(repoDir, repoKey(repoDir));
        return added;
      }
      if (!outcome.raced && (await readTip(repoDir, notesRef)) === tip) {
        throw new CountersignError('git-failed', `could not write ${notesRef} in ${repoDir}: ${outcome.stderr.split('\n').slice(0, 4).join('; ')}`);
      }
      // Another process moved the ref between our read and our write: read again, re-union.
      notesWriteStats.casRetries++;
      await casBackoff(attempt);
    }
    throw new CountersignError('git-failed', `gave up writing ${notesRef} in ${repoDir} after ${WRITE_ATTEMPTS} attempts: other writers kept moving it`);
  });
}

/**
 * Adds signature lines to the LOCAL notes ref: per commit the union of the existing lines and
 * the new ones (sorted, unique — what cat_sort_uniq makes, so local and merged notes converge),
 * all in one notes commit. Lines already there change nothing (no commit). Bad input throws
 * (bad-note-line / unknown-commit / bad-input) and writes nothing.
 */
export async function appendNoteLines(repoDir: string, notesRef: string, entries: NoteEntry[]): Promise<{ added: number }> {
  checkNotesRef(notesRef);
  const valid = validateNoteEntries(entries);
  const missing = await missingCommits(repoDir, valid.map((e) => e.commit));
  if (missing.size > 0) {
    const first = [...missing][0];
    throw new CountersignError('unknown-commit', `commit ${first} is not in ${repoDir}${missing.size > 1 ? ` (nor ${missing.size - 1} more)` : ''}: fetch it first; nothing was written`);
  }
  const added = await writeValidatedEntries(repoDir, notesRef, valid);
  return { added: added.size };
}

/**
 * Lines of the LOCAL notes ref that the remote's notes (as last fetched into the side ref) lack:
 * what this clone holds and has not published. Reads only the notes whose blobs differ.
 */
export async function unpublishedNoteLines(repoDir: string, remote: string, notesRef: string = DEFAULT_NOTES_REF): Promise<NoteEntry[]> {
  checkNotesRef(notesRef);
  const [liveTip, sideTip] = await Promise.all([readTip(repoDir, notesRef), readTip(repoDir, sideRefFor(notesRef, remote))]);
  if (!liveTip || liveTip === sideTip) return [];
  const [live, side] = await Promise.all([listNotes(repoDir, liveTip), listNotes(repoDir, sideTip)]);
  const differing = [...live].filter(([commit, blob]) => side.get(commit) !== blob).map(([commit]) => commit);
  if (differing.length === 0) return [];
  const [mine, theirs] = await Promise.all([readNotesFor(repoDir, liveTip, differing), readNotesFor(repoDir, sideTip, differing)]);
  const out: NoteEntry[] = [];
  for (const commit of differing) {
    const remoteLines = new Set(noteLines(theirs.get(commit)?.content.toString('utf8') ?? ''));
    for (const line of noteLines(mine.get(commit)?.content.toString('utf8') ?? '')) if (!remoteLines.has(line)) out.push({ commit, line });
  }
  return out;
}

/**
 * Takes lines out of the LOCAL notes ref (CAS, like every local write). Only for lines that never
 * reached the remote: notes merge three ways, so a removal of a published line would travel.
 * Returns how many were removed.
 */
export async function removeLocalNoteLines(repoDir: string, notesRef: string, entries: NoteEntry[]): Promise<number> {
  checkNotesRef(notesRef);
  const byCommit = new Map<string, Set<string>>();
  for (const e of validateNoteEntries(entries)) byCommit.set(e.commit, (byCommit.get(e.commit) ?? new Set()).add(toLatin1Line(e.line)));
  if (byCommit.size === 0) return 0;
  return withLock(writeKey(repoDir, notesRef), async () => {
    for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
      const tip = await readTip(repoDir, notesRef);
      const notes = await readNotesFor(repoDir, tip, [...byCommit.keys()]);
      const changed = new Map<string, Buffer>();
      const replace = new Map<string, string[]>();
      let removed = 0;
      for (const [commit, drop] of byCommit) {
        const note = notes.get(commit);
        if (!note) continue;
        const existing = noteLineSet(note.content);
        const kept = existing.filter((l) => !drop.has(l));
        if (kept.length === existing.length) continue;
        removed += existing.length - kept.length;
        changed.set(commit, kept.length ? noteContent(kept) : Buffer.alloc(0));
        replace.set(commit, note.paths);
      }
      if (changed.size === 0) return 0;
      const outcome = await writeNotesCommit(repoDir, notesRef, tip, changed, `countersign: retract ${removed} unpublished line(s)\n`, replace);
      if (outcome.ok) return removed;
      if (!outcome.raced && (await readTip(repoDir, notesRef)) === tip) {
        throw new CountersignError('git-failed', `could not write ${notesRef} in ${repoDir}: ${outcome.stderr.split('\n').slice(0, 4).join('; ')}`);
      }
      notesWriteStats.casRetries++;
      await casBackoff(attempt);
    }
    throw new CountersignError('git-failed', `gave up writing ${notesRef} in ${repoDir} after ${WRITE_ATTEMPTS} attempts: other writers kept moving it`);
  });
}

// ---------------------------------------------------------------------------------------------
// Merging another notes ref in (union)

async function updateRef(repoDir: string, ref: string, value: string, expected: string | null): Promise<boolean> {
  const r = await runGit(['update-ref', '-m', 'countersign: notes', ref, value, expected ?? ''], { cwd: repoDir, allowFailure: true });
  if (r.code === 0) return true;
  if (/cannot lock|but expected|already exists|unable to create/i.test(r.stderr)) return false;
  throw new CountersignError('git-failed', `could not update ${ref} in ${repoDir}: ${r.stderr.trim()}`);
}

let tempCounter = 0;

/**
 * Merges the notes at `otherRef` into `notesRef` with `git notes merge -s cat_sort_uniq` — a line
 * union that also handles fanout and notes on commits this clone has not fetched. The merge is
 * done on a private temporary ref and then moved onto `notesRef` by compare-and-swap
 * (`git notes merge` itself would overwrite the ref without checking, losing a concurrent append).
 */
export async function mergeNotesRef(repoDir: string, notesRef: string, otherRef: string): Promise<{ updated: boolean }> {
  checkNotesRef(notesRef);
  checkNotesRef(otherRef);
  return withLock(writeKey(repoDir, notesRef), async () => {
    for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
      const [local, other] = await Promise.all([readTip(repoDir, notesRef), readTip(repoDir, otherRef)]);
      if (!other || local === other) return { updated: false };
      if (!local) {
        if (await updateRef(repoDir, notesRef, other, null)) return { updated: true };
        notesWriteStats.casRetries++;
        continue;
      }
      const temp = `${notesRef}-merge/${process.pid}-${++tempCounter}-${randomBytes(4).toString('hex')}`;
      let result: string | null;
      try {
        await runGit(['update-ref', temp, local, ''], { cwd: repoDir });
        await runGit(['notes', `--ref=${temp}`, 'merge', '--quiet', '--strategy=cat_sort_uniq', otherRef], { cwd: repoDir, env: NOTES_IDENTITY_ENV });
        result = await readTip(repoDir, temp);
      } finally {
        await runGit(['update-ref', '-d', temp], { cwd: repoDir, allowFailure: true });
      }
      if (!result || result === local) return { updated: false };
      if (await updateRef(repoDir, notesRef, result, local)) return { updated: true };
      notesWriteStats.casRetries++;
      await casBackoff(attempt);
    }
    throw new CountersignError('git-failed', `gave up merging ${otherRef} into ${notesRef} in ${repoDir}: other writers kept moving it`);
  });
}

// ---------------------------------------------------------------------------------------------
// Talking to the remote

/** Fetches the remote's notes ref, forced, into the side ref only. */
async function fetchToSide(repoDir: string, remote: string, notesRef: string): Promise<{ found: boolean; side: string }> {
  const side = sideRefFor(notesRef, remote);
  const r = await runGit(
    // --refmap= : ignore configured fetch refspecs, so a `+refs/notes/*:refs/notes/*` someone put
    // in their config can never overwrite the live ref as a side effect of this fetch.
    // --no-filter: in a partial clone (the server's, lib/git/clone.ts) the notes' contents still
    // come whole, so reading and merging signatures never waits on (or fails for) the remote.
    ['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--no-filter', '--refmap=', '--recurse-submodules=no', remote, `+${notesRef}:${side}`],
    { cwd: repoDir, allowFailure: true },
  );
  if (r.code === 0) return { found: true, side };
  if (/couldn't find remote ref/i.test(r.stderr)) return { found: false, side };
  throw new CountersignError('git-failed', `could not fetch ${notesRef} from ${remote}: ${summarize(r.stderr)}`);
}

function summarize(stderr: string): string {
  return (
    stderr
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('hint:'))
      .slice(0, 4)
      .join('; ') || 'no message from git'
  );
}

type PushOutcome = { status: 'ok' } | { status: 'rejected'; message: string } | { status: 'failed'; message: string };

async function pushOnce(repoDir: string, remote: string, notesRef: string): Promise<PushOutcome> {
  const spec = `${notesRef}:${notesRef}`;
  const r = await runGit(['push', '--porcelain', '--no-verify', remote, spec], { cwd: repoDir, allowFailure: true });
  // Porcelain: "<flag>\t<from>:<to>\t<summary>" per ref; absent when the transport failed.
  const status = r.stdout
    .split('\n')
    .map((l) => l.split('\t'))
    .find((f) => f.length >= 3 && f[1] === spec);
  if (!status) return { status: 'failed', message: `cannot push to ${remote}: ${summarize(r.stderr)}` };
  const [flag, , summary] = status;
  if (flag !== '!' && r.code === 0) return { status: 'ok' };
  const message = `push of ${notesRef} to ${remote} refused: ${summary}`;
  // A non-fast-forward, or losing the ref lock to a concurrent pusher on the remote: merge and retry.
  if (/\[rejected\]|fetch first|non-fast-forward|stale info|cannot lock|failed to update ref|failed to lock|incorrect old value|but expected/i.test(summary)) {
    return { status: 'rejected', message };
  }
  return { status: 'failed', message: `${message}${r.stderr.trim() ? ` (${summarize(r.stderr)})` : ''}` };
}

/**
 * Fetches `remote`'s notes into the side ref and union-merges them into the local notes ref
 * (a fresh clone has none). The live ref is never fetched into. Throws git-failed when the
 * remote cannot be reached.
 */
export async function fetchNotes(repoDir: string, remote: string, notesRef: string = DEFAULT_NOTES_REF): Promise<FetchResult> {
  checkNotesRef(notesRef);
  checkRemote(remote);
  return withLock(publishKey(repoDir), async () => {
    const { found, side } = await fetchToSide(repoDir, remote, notesRef);
    if (!found) return { found: false, updated: false };
    return { found: true, ...(await mergeNotesRef(repoDir, notesRef, side)) };
  });
}

/**
 * Pushes the local notes ref to `remote`. On a rejection it fetches the remote's notes into the
 * side ref, merges them in (union) and pushes again, with bounded retries and jittered
 * exponential backoff. Never throws for remote trouble: an unreachable remote gives
 * `pushed: false` with the reason, and the local ref keeps every line for a later call.
 * Publishes are serialized per repository within this process.
 */
export async function publishNotes(
  repoDir: string,
  remote: string,
  notesRef: string = DEFAULT_NOTES_REF,
  opts: PublishOptions = {},
): Promise<PublishResult> {
  checkNotesRef(notesRef);
  checkRemote(remote);
  const retries = Math.max(0, opts.retries ?? 5);
  const backoffMs = Math.max(0, opts.backoffMs ?? 25);
  return withLock(publishKey(repoDir), async () => {
    let attempts = 0;
    let merges = 0;
    for (;;) {
      attempts++;
      // The push starts at once (no read of the local ref first): it is most of an approval's
      // latency, and the caller's remaining work overlaps it. A missing local ref fails the push
      // before the remote is contacted; only then is "nothing to publish" told apart.
      const outcome = await pushOnce(repoDir, remote, notesRef);
      if (outcome.status === 'ok') return { pushed: true, attempts, merges };
      if (attempts === 1 && !(await readTip(repoDir, notesRef))) return { pushed: true, attempts: 0, merges: 0 };
      if (outcome.status === 'failed') return { pushed: false, attempts, merges, error: outcome.message };
      if (attempts > retries) {
        return { pushed: false, attempts, merges, error: `${outcome.message}; gave up after ${attempts} attempts (lines stay in the local ref)` };
      }
      // First retry at once-ish (the usual case is one competing pusher), then back off.
      const delay = attempts === 1 ? Math.random() * backoffMs : backoffMs * 2 ** (attempts - 1) * (0.5 + Math.random());
      await sleep(delay);
      try {
        const { found, side } = await fetchToSide(repoDir, remote, notesRef);
        if (found) {
          await mergeNotesRef(repoDir, notesRef, side);
          merges++;
        }
      } catch (e) {
        return { pushed: false, attempts, merges, error: e instanceof Error ? e.message : String(e) };
      }
    }
  });
}
