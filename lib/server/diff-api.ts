/**
 * The diff API behind the review page's "Load diff" and "Load more": pages of the file list and
 * chunks of one file's diff, for a commit (against its first parent) or a change (against a
 * pinned base). Readable by whoever can read the review page, on the same terms: a signed-out
 * request is answered from the server's clone; only a signed-in one makes it look on the remote
 * for a commit the clone lacks.
 */
import { CountersignError } from '../errors';
import { diffChanges, fileDiff } from '../git/diff';
import type { App } from './app';
import { checkChangeBase } from './change';
import { resolveReviewCommit } from './commits';
import { CHUNK_LINE_CHARS, CHUNK_ROWS, CHUNK_ROWS_MAX, FILES_PAGE, fileEntry, hunkRows, LINE_CHARS_MAX } from './diff-view';
import type { DiffChunkView, DiffFilesPageView, UserView } from './types';

export type DiffQuery =
  | { kind: 'files'; base: string | null; offset: number }
  | { kind: 'chunk'; base: string | null; path: string; oldPath?: string; start: number; count: number; lineChars: number };

const KEYS = new Set(['base', 'files', 'path', 'old', 'start', 'count', 'lineChars']);
const MAX_PATH = 4096;

function bad(message: string): never {
  throw new CountersignError('bad-input', message);
}

function int(q: URLSearchParams, name: string, min: number, max: number, fallback?: number): number {
  const v = q.get(name);
  if (v === null) {
    if (fallback === undefined) bad(`${name} is required`);
    return fallback;
  }
  if (!/^\d{1,9}$/.test(v) || Number(v) < min || Number(v) > max) bad(`${name} must be a whole number from ${min} to ${max}`);
  return Number(v);
}

function pathParam(q: URLSearchParams, name: string): string | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (v.length === 0 || v.length > MAX_PATH || v.includes('\0')) bad(`${name} must be a path of 1 to ${MAX_PATH} characters without NUL`);
  return v;
}

/** The query of GET …/diff, checked: `files=N` (a page of the file list) or `path=P` (a chunk of that file). */
export function parseDiffQuery(q: URLSearchParams): DiffQuery {
  for (const k of q.keys()) if (!KEYS.has(k)) bad(`unknown parameter ${JSON.stringify(k.slice(0, 40))}; use files=N, or path=P with start=N`);
  for (const k of KEYS) if (q.getAll(k).length > 1) bad(`${k} is given more than once`);
  const base = q.get('base');
  if (base !== null && !/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(base)) bad('base must be a full commit id (as the change page names it)');
  const path = pathParam(q, 'path');
  if (q.has('files')) {
    if (path !== undefined || q.has('old') || q.has('start') || q.has('count') || q.has('lineChars')) bad('files=N takes no path, old, start, count or lineChars');
    return { kind: 'files', base, offset: int(q, 'files', 0, 100_000_000) };
  }
  if (path === undefined) bad('give files=N for the file list, or path=P for a file’s diff');
  const oldPath = pathParam(q, 'old');
  return {
    kind: 'chunk',
    base,
    path,
    ...(oldPath !== undefined ? { oldPath } : {}),
    start: int(q, 'start', 0, 100_000_000, 0),
    count: int(q, 'count', 1, CHUNK_ROWS_MAX, CHUNK_ROWS),
    lineChars: int(q, 'lineChars', 1, LINE_CHARS_MAX, CHUNK_LINE_CHARS),
  };
}

/** The range a review shows: the commit against its first parent (none: a root commit), or a change against its base. */
async function diffRange(app: App, repoName: string, commitId: string, viewer: UserView | null, base: string | null) {
  const repo = app.repo(repoName);
  const head = await resolveReviewCommit(repo, commitId, { fetchOnDemand: viewer !== null });
  if (base !== null) {
    await checkChangeBase(repo, head.id, base);
    return { dir: repo.dir, base, head: head.id };
  }
  return { dir: repo.dir, base: head.parents[0] ?? null, head: head.id };
}

/** GET …/diff: a page of the file list, or a chunk of one file's diff. */
export async function getDiff(app: App, repoName: string, commitId: string, viewer: UserView | null, q: DiffQuery): Promise<DiffFilesPageView | DiffChunkView> {
  const r = await diffRange(app, repoName, commitId, viewer, q.base);
  if (q.kind === 'files') {
    const all = await diffChanges(r.dir, r.base, r.head);
    if (q.offset > all.length) bad(`files=${q.offset} is past the end: this diff has ${all.length} files`);
    const end = Math.min(all.length, q.offset + FILES_PAGE);
    return { offset: q.offset, files: all.slice(q.offset, end).map(fileEntry), next: end < all.length ? end : null, total: all.length };
  }
  const d = await fileDiff(r.dir, r.base, r.head, { path: q.path, oldPath: q.oldPath });
  if (!d.found) throw new CountersignError('not-found', `this diff does not change a file named ${JSON.stringify(q.path.slice(0, 200))}`);
  const rows = hunkRows(d.hunks, q.lineChars);
  if (q.start > rows.length) bad(`start=${q.start} is past the end: this file's diff has ${rows.length} rows`);
  const end = Math.min(rows.length, q.start + q.count);
  const binary = d.hunks.length === 0 && d.binary;
  return {
    path: q.path,
    ...(q.oldPath ? { oldPath: q.oldPath } : {}),
    binary,
    start: q.start,
    rows: rows.slice(q.start, end),
    next: end < rows.length ? end : null,
    cut: d.cut,
  };
}
