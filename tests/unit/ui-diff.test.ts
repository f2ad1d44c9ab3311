import { describe, expect, it } from 'vitest';
import type { DiffFileView } from '../../lib/server/types';
import {
  diffTotals,
  fileAnchor,
  fileTitle,
  hiddenLinesNotice,
  lineSign,
  openByDefault,
  statBlocks,
  statusLabel,
  truncationNotice,
} from '../../lib/ui/diff';

function file(over: Partial<DiffFileView> = {}): DiffFileView {
  return { path: 'src/a.ts', status: 'modified', additions: 0, deletions: 0, binary: false, hunks: [], ...over };
}

function withLines(n: number): DiffFileView {
  return file({ hunks: [{ header: '@@ -1 +1 @@', lines: Array.from({ length: n }, () => ({ kind: 'ctx' as const, text: 'x' })) }] });
}

describe('diff display helpers', () => {
  it('totals additions and deletions, counting files cut from the diff', () => {
    const t = diffTotals({
      files: [file({ additions: 3, deletions: 1 }), file({ additions: 2, deletions: 5 })],
      truncated: { files: 4, lines: 100 },
    });
    expect(t).toEqual({ files: 6, additions: 5, deletions: 6 });
  });

  it('draws a five-block stat bar in proportion, never hiding a non-zero side', () => {
    expect(statBlocks(10, 0)).toEqual(['add', 'add', 'add', 'add', 'add']);
    expect(statBlocks(0, 10)).toEqual(['del', 'del', 'del', 'del', 'del']);
    expect(statBlocks(5, 5)).toEqual(['add', 'add', 'add', 'del', 'del']);
    expect(statBlocks(100, 1)).toEqual(['add', 'add', 'add', 'add', 'del']);
    expect(statBlocks(1, 100)).toEqual(['add', 'del', 'del', 'del', 'del']);
    expect(statBlocks(0, 0)).toEqual(['none', 'none', 'none', 'none', 'none']);
  });

  it('uses fewer filled blocks than lines changed for tiny changes', () => {
    expect(statBlocks(1, 1)).toEqual(['add', 'del', 'none', 'none', 'none']);
    expect(statBlocks(2, 0)).toEqual(['add', 'add', 'none', 'none', 'none']);
  });

  it('labels statuses and shows renames as old → new', () => {
    expect(statusLabel('type-changed')).toBe('Type changed');
    expect(fileTitle(file({ status: 'renamed', oldPath: 'a.txt', path: 'b.txt' }))).toBe('a.txt → b.txt');
    expect(fileTitle(file({ path: 'b.txt' }))).toBe('b.txt');
  });

  it('opens small files and binary notes, keeps big or far-down files closed', () => {
    expect(openByDefault(withLines(10), 0)).toBe(true);
    expect(openByDefault(withLines(401), 0)).toBe(false);
    expect(openByDefault(withLines(10), 25)).toBe(false);
    expect(openByDefault(file({ binary: true }), 99)).toBe(true);
  });

  it('explains a cut diff with counts, and says nothing when nothing was cut', () => {
    expect(truncationNotice({ files: 0, lines: 0 })).toBeNull();
    const n = truncationNotice({ files: 3, lines: 1204 });
    expect(n).toContain('3 more files and 1,204 more lines not shown');
    expect(truncationNotice({ files: 1, lines: 0 })).toContain('1 more file not shown');
    expect(hiddenLinesNotice(file({ hiddenLines: 12 }))).toBe('12 more lines of this file not shown.');
    expect(hiddenLinesNotice(file())).toBeNull();
  });

  it('makes unique, URL-safe anchors', () => {
    expect(fileAnchor('src/My File.ts', 2)).toBe('file-2-src-my-file-ts');
    expect(fileAnchor('///', 0)).toBe('file-0');
    expect(fileAnchor('x'.repeat(200), 1).length).toBeLessThanOrEqual(67);
  });

  it('marks lines with + and -', () => {
    expect([lineSign('add'), lineSign('del'), lineSign('ctx')]).toEqual(['+', '-', ' ']);
  });
});
