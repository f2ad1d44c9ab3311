import { describe, expect, it } from 'vitest';
import type { CommitDiff, DiffHunk } from '../../lib/git/diff';
import type { DiffFile } from '../../lib/git/diff-parse';
import { hunkRows, PAGE_BUDGET, pageDiffView } from '../../lib/server/diff-view';
import { fileComplete, pageProgress, viewedNotice } from '../../lib/ui/diff';

/** An added file of `n` lines, its hunk whole, or cut after `keep` lines (as a cut patch read leaves it). */
function added(path: string, n: number, keep = n, text = (i: number) => `line ${i}`): DiffFile {
  const hunk: DiffHunk = { header: `@@ -0,0 +1,${n} @@`, oldStart: 0, oldLines: 0, newStart: 1, newLines: n, lines: [] };
  for (let i = 1; i <= keep; i++) hunk.lines.push({ kind: 'add', text: text(i), newNo: i });
  return { path, status: 'added', oldMode: '000000', newMode: '100644', additions: n, deletions: 0, binary: false, hunks: [hunk] };
}

function diffOf(files: DiffFile[]): CommitDiff {
  return { commit: 'c'.repeat(40), base: null, files, truncated: { files: 0, lines: 0, bytes: false } };
}

describe('the review page holds a first part of the diff within its budget', () => {
  it('shows small files whole, defers a large one, and keeps every count', () => {
    const view = pageDiffView(diffOf([added('a.txt', 3), added('big.txt', PAGE_BUDGET.largeFileRows + 10), added('b.txt', 2)]));
    expect(view.files.map((f) => [f.path, f.deferred ?? false, f.rows?.length ?? null])).toEqual([
      ['a.txt', false, 4],
      ['big.txt', true, null],
      ['b.txt', false, 3],
    ]);
    expect(view.files[1]).toMatchObject({ additions: PAGE_BUDGET.largeFileRows + 10, next: 0 });
    expect(view.totals).toEqual({ files: 3, additions: 3 + PAGE_BUDGET.largeFileRows + 10 + 2, deletions: 0, binary: 0 });
    expect(view.more).toBeUndefined();
  });

  it('defers files once the row budget is spent, and a file whose patch was cut in the middle', () => {
    const files = Array.from({ length: 50 }, (_, i) => added(`f${String(i).padStart(2, '0')}`, 49));
    files.push(added('zz-cut', 10, 4));
    const view = pageDiffView(diffOf(files));
    const shown = view.files.filter((f) => !f.deferred);
    expect(shown.reduce((n, f) => n + f.rows!.length, 0)).toBeLessThanOrEqual(PAGE_BUDGET.rows);
    expect(shown).toHaveLength(Math.floor(PAGE_BUDGET.rows / 50));
    expect(view.files.at(-1)).toMatchObject({ path: 'zz-cut', deferred: true });
  });

  it('lists at most `files` files and counts the rest', () => {
    const files = Array.from({ length: PAGE_BUDGET.files + 7 }, (_, i) => added(`f${String(i).padStart(4, '0')}`, 2));
    const view = pageDiffView(diffOf(files));
    expect(view.files).toHaveLength(PAGE_BUDGET.files);
    expect(view.more).toEqual({ offset: PAGE_BUDGET.files, files: 7, additions: 14, deletions: 0 });
  });

  it('cuts long lines to the page width of text and says by how much', () => {
    const long = 'x'.repeat(PAGE_BUDGET.lineChars + 1000);
    const view = pageDiffView(diffOf([added('long.txt', 2, 2, () => long)]));
    expect(view.files[0].rows![1]).toEqual({ kind: 'add', text: long.slice(0, PAGE_BUDGET.lineChars), newNo: 1, cut: 1000 });
    expect(hunkRows(diffOf([added('s', 1)]).files[0].hunks, 5)).toEqual([
      { kind: 'hunk', text: '@@ -0,0 +1,1 @@' },
      { kind: 'add', text: 'line ', newNo: 1, cut: 1 },
    ]);
  });
});

describe('what the approve bar says about what was seen', () => {
  it('counts files shown in full (binary ones too) against all files, listed or not', () => {
    const bin: DiffFile = { ...added('bin', 0), binary: true, hunks: [] };
    const view = pageDiffView(diffOf([added('a', 2), added('big', PAGE_BUDGET.largeFileRows + 1), bin]));
    expect(view.files.map(fileComplete)).toEqual([true, false, true]);
    expect(pageProgress(view)).toEqual({ shown: 2, total: 3 });
  });

  it('says the approval covers everything while something is unseen, and nothing once all is seen', () => {
    expect(viewedNotice(12, 5123, 'commit')).toBe('You have seen 12 of 5,123 files in full. Approving signs the whole commit, all 5,123 files.');
    expect(viewedNotice(1, 3, 'change')).toMatch(/the whole change, all 3 files/);
    expect(viewedNotice(3, 3, 'commit')).toBeNull();
  });
});
