import type { CommitDiff, DiffHunk } from '../git/diff';
import type { FileChange } from '../git/diff-parse';
import type { DiffFileView, DiffRowView, DiffView } from './types';

/** The git diff as the review screen shows it (what is hidden is counted, never silently dropped). */
export function toDiffView(d: CommitDiff): DiffView {
  return {
    files: d.files.map((f) => {
      const shown = f.hunks.reduce((n, h) => n + h.lines.filter((l) => l.kind !== 'ctx').length, 0);
      const hidden = f.binary ? 0 : Math.max(0, f.additions + f.deletions - shown);
      return {
        ...fileEntry(f),
        hunks: f.hunks.map((h) => ({
          header: h.header,
          lines: h.lines.map((l) => ({
            kind: l.kind,
            text: l.text,
            ...(l.oldNo !== undefined ? { oldNo: l.oldNo } : {}),
            ...(l.newNo !== undefined ? { newNo: l.newNo } : {}),
          })),
        })),
        ...(hidden > 0 ? { hiddenLines: hidden } : {}),
      };
    }),
    truncated: { files: d.truncated.files, lines: d.truncated.lines },
  };
}

/**
 * What the review page sends of a diff, whatever its size: the page must stay small enough for a
 * phone on a poor connection (its HTML at most 300 kB, bench/page-bytes.ts), so it holds the file
 * list with counts and the first part of the diff; everything else loads on request from the
 * diff API (GET …/diff), file by file and chunk by chunk. Nothing is left out without a count.
 */
export const PAGE_BUDGET = {
  /** Files listed in the page; the rest are counted and listed on request (FILES_PAGE at a time). */
  files: 100,
  /** Diff rows (hunk headers and lines) rendered in the page, over all files. */
  rows: 500,
  /** Characters of line text rendered in the page, over all files. */
  chars: 32_000,
  /** A file with more rows than this is never in the page: it loads when opened. */
  largeFileRows: 300,
  /** Characters of one line shown in the page (the rest loads on request). */
  lineChars: 240,
  /** Bytes of patch read from git for the page's first part. */
  patchBytes: 256 * 1024,
} as const;

/** Rows in one chunk of the diff API, by default and at most. */
export const CHUNK_ROWS = 1000;
export const CHUNK_ROWS_MAX = 2000;
/** Characters of a line in a chunk, by default and at most (a longer line says how much is left out). */
export const CHUNK_LINE_CHARS = 2000;
export const LINE_CHARS_MAX = 1024 * 1024;
/** File entries in one page of the file list. */
export const FILES_PAGE = 200;

/** The files whose hunks the page reads: listed, not binary, and not larger than a page file may be. */
export function pagePatchFiles(changes: FileChange[], budget: typeof PAGE_BUDGET = PAGE_BUDGET): FileChange[] {
  return changes.slice(0, budget.files).filter((c) => !c.binary && c.additions + c.deletions <= budget.largeFileRows);
}

/** A file's entry without its content: what the file list shows (counts, binary, rename). */
export function fileEntry(f: FileChange): DiffFileView {
  return {
    path: f.path,
    ...(f.oldPath ? { oldPath: f.oldPath } : {}),
    status: f.status,
    additions: f.additions,
    deletions: f.deletions,
    binary: f.binary,
    hunks: [],
  };
}

/** Hunks as numbered rows (a header row, then its lines), each line cut at `lineChars` characters. */
export function hunkRows(hunks: DiffHunk[], lineChars: number): DiffRowView[] {
  const rows: DiffRowView[] = [];
  for (const h of hunks) {
    rows.push({ kind: 'hunk', text: h.header });
    for (const l of h.lines) {
      const long = l.text.length > lineChars;
      rows.push({
        kind: l.kind,
        text: long ? l.text.slice(0, lineChars) : l.text,
        ...(l.oldNo !== undefined ? { oldNo: l.oldNo } : {}),
        ...(l.newNo !== undefined ? { newNo: l.newNo } : {}),
        ...(long ? { cut: l.text.length - lineChars } : {}),
      });
    }
  }
  return rows;
}

/** Every line a hunk header promises is there (the patch was not cut inside it). */
function complete(hunks: DiffHunk[]): boolean {
  return hunks.every((h) => {
    let oldN = 0;
    let newN = 0;
    for (const l of h.lines) {
      if (l.kind !== 'add') oldN++;
      if (l.kind !== 'del') newN++;
    }
    return oldN === h.oldLines && newN === h.newLines;
  });
}

/**
 * The page's diff from a diff read with `PAGE_BUDGET.patchBytes` and no file or line limit: the
 * first `files` files listed; small files whose patch was read whole are shown while the row and
 * character budgets last; larger ones and the rest are `deferred` (they load when opened).
 */
export function pageDiffView(d: CommitDiff, budget: typeof PAGE_BUDGET = PAGE_BUDGET): DiffView {
  let rowsLeft = budget.rows;
  let charsLeft = budget.chars;
  const totals = { files: d.files.length + d.truncated.files, additions: 0, deletions: 0, binary: 0 };
  for (const f of d.files) {
    totals.additions += f.additions;
    totals.deletions += f.deletions;
    if (f.binary) totals.binary++;
  }
  const listed = d.files.slice(0, budget.files);
  const files = listed.map((f): DiffFileView => {
    const entry = fileEntry(f);
    if (f.binary) return { ...entry, rows: [], next: null };
    const whole = !f.partial && complete(f.hunks);
    const rows = whole ? hunkRows(f.hunks, budget.lineChars) : [];
    const chars = rows.reduce((n, r) => n + r.text.length, 0);
    if (whole && rows.length <= budget.largeFileRows && rows.length <= rowsLeft && chars <= charsLeft) {
      rowsLeft -= rows.length;
      charsLeft -= chars;
      return { ...entry, rows, next: null };
    }
    return { ...entry, deferred: true, next: 0 };
  });
  const rest = d.files.slice(budget.files);
  const more =
    rest.length + d.truncated.files > 0
      ? {
          offset: listed.length,
          files: rest.length + d.truncated.files,
          additions: rest.reduce((n, f) => n + f.additions, 0),
          deletions: rest.reduce((n, f) => n + f.deletions, 0),
        }
      : undefined;
  return { files, truncated: { files: 0, lines: 0 }, totals, ...(more ? { more } : {}) };
}
