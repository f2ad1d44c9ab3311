import { describe, expect, it } from 'vitest';
import { assembleDiff, parsePatch, parseRawNumstat, unquoteCPath } from './diff-parse';

const Z = '\0';
const H1 = 'a'.repeat(40);
const H2 = 'b'.repeat(40);
const ZERO = '0'.repeat(40);

describe('parseRawNumstat (git diff-tree --raw --numstat -z)', () => {
  it('reads statuses, modes, counts, binary files and renames in order', () => {
    const out =
      `:100644 100644 ${H1} ${H2} M${Z}bin.dat${Z}` +
      `:100644 100644 ${H1} ${H2} R057${Z}f.txt${Z}g.txt${Z}` +
      `:100644 000000 ${H1} ${ZERO} D${Z}sp ace.txt${Z}` +
      `:000000 100755 ${ZERO} ${H2} A${Z}tab\tname${Z}` +
      `-\t-\tbin.dat${Z}` +
      `2\t1\t${Z}f.txt${Z}g.txt${Z}` +
      `0\t1\tsp ace.txt${Z}` +
      `1\t0\ttab\tname${Z}`;
    expect(parseRawNumstat(out)).toEqual([
      { path: 'bin.dat', status: 'modified', oldMode: '100644', newMode: '100644', additions: 0, deletions: 0, binary: true },
      { path: 'g.txt', oldPath: 'f.txt', similarity: 57, status: 'renamed', oldMode: '100644', newMode: '100644', additions: 2, deletions: 1, binary: false },
      { path: 'sp ace.txt', status: 'deleted', oldMode: '100644', newMode: '000000', additions: 0, deletions: 1, binary: false },
      { path: 'tab\tname', status: 'added', oldMode: '000000', newMode: '100755', additions: 1, deletions: 0, binary: false },
    ]);
  });

  it('gives an empty list for an empty commit', () => {
    expect(parseRawNumstat('')).toEqual([]);
  });
});

describe('unquoteCPath', () => {
  it('undoes C quoting, octal UTF-8 bytes included', () => {
    expect(unquoteCPath('"a/tab\\tname"')).toBe('a/tab\tname');
    expect(unquoteCPath('"caf\\303\\251 \\"q\\" \\\\"')).toBe('café "q" \\');
    expect(unquoteCPath('plain/path é')).toBe('plain/path é');
  });
});

const PATCH = [
  'diff --git a/f.txt b/g.txt',
  'similarity index 57%',
  'rename from f.txt',
  'rename to g.txt',
  'index de98044..f8f7a32 100644',
  '--- a/f.txt',
  '+++ b/g.txt',
  '@@ -1,3 +1,4 @@ section',
  ' a',
  '-b',
  '+B',
  ' c',
  '+d',
  '\\ No newline at end of file',
  'diff --git a/sp ace.txt b/sp ace.txt',
  'deleted file mode 100644',
  'index 45b983b..0000000',
  '--- a/sp ace.txt\t',
  '+++ /dev/null',
  '@@ -1,2 +0,0 @@',
  '--- looks like a header',
  '-diff --git a/x b/x',
  'diff --git "a/tab\\tname" "b/tab\\tname"',
  'old mode 100644',
  'new mode 100755',
  'diff --git a/bin.dat b/bin.dat',
  'index d5d0b8b..4a27031 100644',
  'Binary files a/bin.dat and b/bin.dat differ',
  '',
].join('\n');

describe('parsePatch', () => {
  it('keys sections by new path and numbers lines on both sides', () => {
    const sections = parsePatch(PATCH);
    expect(sections.map((s) => s.path)).toEqual(['g.txt', 'sp ace.txt', 'tab\tname', 'bin.dat']);
    const [hunk] = sections[0].hunks;
    expect(hunk).toMatchObject({ header: '@@ -1,3 +1,4 @@ section', oldStart: 1, oldLines: 3, newStart: 1, newLines: 4 });
    expect(hunk.lines).toEqual([
      { kind: 'ctx', text: 'a', oldNo: 1, newNo: 1 },
      { kind: 'del', text: 'b', oldNo: 2 },
      { kind: 'add', text: 'B', newNo: 2 },
      { kind: 'ctx', text: 'c', oldNo: 3, newNo: 3 },
      { kind: 'add', text: 'd', newNo: 4, noEol: true },
    ]);
  });

  it('uses hunk counts, not text, to tell content from headers', () => {
    const del = parsePatch(PATCH)[1];
    expect(del.hunks[0].lines).toEqual([
      { kind: 'del', text: '-- looks like a header', oldNo: 1 },
      { kind: 'del', text: 'diff --git a/x b/x', oldNo: 2 },
    ]);
  });

  it('gives mode-only and binary sections no hunks', () => {
    const s = parsePatch(PATCH);
    expect(s[2].hunks).toEqual([]);
    expect(s[3].hunks).toEqual([]);
  });

  it('reads an empty context line (diff.suppressBlankEmpty) as context', () => {
    const p = ['diff --git a/x b/x', '--- a/x', '+++ b/x', '@@ -1,2 +1,2 @@', '', '-y', '+z', ''].join('\n');
    expect(parsePatch(p)[0].hunks[0].lines[0]).toEqual({ kind: 'ctx', text: '', oldNo: 1, newNo: 1 });
  });

  it('stops keeping lines after maxLines, across files', () => {
    const s = parsePatch(PATCH, { maxLines: 3 });
    expect(s[0].hunks[0].lines.map((l) => l.text)).toEqual(['a', 'b', 'B']);
    expect(s[1].hunks).toEqual([]);
    expect(s.map((x) => x.path)).toEqual(['g.txt', 'sp ace.txt', 'tab\tname', 'bin.dat']);
  });

  it('drops the last, possibly partial, line of cut input', () => {
    const cut = PATCH.slice(0, PATCH.indexOf('+B') + 2);
    const s = parsePatch(cut, { inputCut: true });
    expect(s[0].hunks[0].lines.map((l) => l.text)).toEqual(['a', 'b']);
  });
});

describe('assembleDiff', () => {
  const changes = parseRawNumstat(
    `:100644 100644 ${H1} ${H2} R057${Z}f.txt${Z}g.txt${Z}` +
      `:100644 000000 ${H1} ${ZERO} D${Z}sp ace.txt${Z}` +
      `:100644 100644 ${H1} ${H2} M${Z}bin.dat${Z}` +
      `2\t1\t${Z}f.txt${Z}g.txt${Z}` +
      `0\t2\tsp ace.txt${Z}` +
      `-\t-\tbin.dat${Z}`,
  );

  it('attaches hunks by path and reports nothing hidden when all is shown', () => {
    const { files, truncated } = assembleDiff(changes, parsePatch(PATCH));
    expect(files.map((f) => [f.path, f.hunks.length, f.partial])).toEqual([
      ['g.txt', 1, undefined],
      ['sp ace.txt', 1, undefined],
      ['bin.dat', 0, undefined],
    ]);
    expect(truncated).toEqual({ files: 0, lines: 0 });
  });

  it('counts changed lines hidden by the line limit and marks those files partial', () => {
    const { files, truncated } = assembleDiff(changes, parsePatch(PATCH, { maxLines: 3 }));
    expect(files[0].partial).toBe(true); // showed b, B of 3 changes
    expect(files[1].partial).toBe(true);
    expect(truncated).toEqual({ files: 0, lines: 1 + 2 });
  });

  it('leaves files beyond maxFiles out and counts their lines', () => {
    const { files, truncated } = assembleDiff(changes, parsePatch(PATCH), { maxFiles: 1 });
    expect(files.map((f) => f.path)).toEqual(['g.txt']);
    expect(truncated).toEqual({ files: 2, lines: 2 });
  });

  it('merges the two sections git prints for a type change', () => {
    const tc = parseRawNumstat(`:120000 100644 ${H1} ${H2} T${Z}link${Z}1\t1\tlink${Z}`);
    const p = [
      'diff --git a/link b/link',
      'deleted file mode 120000',
      '--- a/link',
      '+++ /dev/null',
      '@@ -1 +0,0 @@',
      '-target',
      '\\ No newline at end of file',
      'diff --git a/link b/link',
      'new file mode 100644',
      '--- /dev/null',
      '+++ b/link',
      '@@ -0,0 +1 @@',
      '+file',
      '',
    ].join('\n');
    const { files } = assembleDiff(tc, parsePatch(p));
    expect(files[0].status).toBe('type-changed');
    expect(files[0].hunks.flatMap((h) => h.lines)).toEqual([
      { kind: 'del', text: 'target', oldNo: 1, noEol: true },
      { kind: 'add', text: 'file', newNo: 1 },
    ]);
    expect(files[0].partial).toBeUndefined();
  });
});
