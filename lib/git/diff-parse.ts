/**
 * Pure parsers for what `git diff-tree` prints, shaped for a reviewer's screen:
 * `--raw --numstat -z` gives the authoritative file list and counts (binary included),
 * `-p` gives the hunks. Kept free of I/O so every edge case is a unit test.
 */

export type FileStatus = 'added' | 'deleted' | 'modified' | 'renamed' | 'copied' | 'type-changed';

export interface DiffLine {
  kind: 'add' | 'del' | 'ctx';
  text: string;
  /** Line number in the old file (ctx and del). */
  oldNo?: number;
  /** Line number in the new file (ctx and add). */
  newNo?: number;
  /** The line is the last one of its file and has no newline at its end. */
  noEol?: true;
}

export interface DiffHunk {
  /** The `@@ -a,b +c,d @@ section` line as git printed it. */
  header: string;
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  lines: DiffLine[];
}

export interface FileChange {
  path: string;
  /** Set for renames and copies. */
  oldPath?: string;
  status: FileStatus;
  /** Percentage for renames and copies. */
  similarity?: number;
  oldMode: string;
  newMode: string;
  additions: number;
  deletions: number;
  binary: boolean;
}

export interface DiffFile extends FileChange {
  hunks: DiffHunk[];
  /** Some of this file's changed lines are not in `hunks` (limits were reached). */
  partial?: true;
}

export interface DiffTruncation {
  /** Files left out of the list entirely. */
  files: number;
  /** Added + deleted lines not shown (in listed files with partial hunks and in left-out files). */
  lines: number;
}

const STATUS: Record<string, FileStatus> = {
  A: 'added',
  D: 'deleted',
  M: 'modified',
  R: 'renamed',
  C: 'copied',
  T: 'type-changed',
};

/**
 * Parses `git diff-tree -r -M --raw --numstat -z` output: all raw records come first, then the
 * numstat records in the same order. Paths are verbatim (no quoting with -z).
 */
export function parseRawNumstat(out: string): FileChange[] {
  const tok = out.split('\0');
  if (tok[tok.length - 1] === '') tok.pop();
  const changes: FileChange[] = [];
  let i = 0;
  while (i < tok.length && tok[i].startsWith(':')) {
    const m = /^:(\d{6}) (\d{6}) \S+ \S+ ([ACDMRTUX])(\d*)$/.exec(tok[i]);
    if (!m) throw new Error(`unexpected raw diff record ${JSON.stringify(tok[i].slice(0, 120))}`);
    const two = m[3] === 'R' || m[3] === 'C';
    const change: FileChange = {
      path: two ? tok[i + 2] : tok[i + 1],
      status: STATUS[m[3]] ?? 'modified',
      oldMode: m[1],
      newMode: m[2],
      additions: 0,
      deletions: 0,
      binary: false,
    };
    if (two) {
      change.oldPath = tok[i + 1];
      change.similarity = Number(m[4] || '0');
    }
    changes.push(change);
    i += two ? 3 : 2;
  }
  for (const change of changes) {
    const rec = tok[i];
    if (rec === undefined) break;
    const m = /^(-|\d+)\t(-|\d+)\t(.*)$/s.exec(rec);
    if (!m) throw new Error(`unexpected numstat record ${JSON.stringify(rec.slice(0, 120))}`);
    // Renames print an empty path here, followed by the old and new paths as separate records.
    i += m[3] === '' ? 3 : 1;
    if (m[1] === '-') change.binary = true;
    else {
      change.additions = Number(m[1]);
      change.deletions = Number(m[2]);
    }
  }
  return changes;
}

const C_ESCAPES: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, '\\': 92 };

/** Undoes git's C-style path quoting (`"a/tab\tname"`, octal escapes for non-ASCII bytes). */
export function unquoteCPath(s: string): string {
  if (!s.startsWith('"') || !s.endsWith('"') || s.length < 2) return s;
  const bytes: number[] = [];
  const body = [...s.slice(1, -1)]; // code points, so non-ASCII characters stay whole
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const n = body[i + 1];
    const octal = body.slice(i + 1, i + 4).join('');
    if (n !== undefined && n in C_ESCAPES) {
      bytes.push(C_ESCAPES[n]);
      i++;
    } else if (/^[0-7]{3}$/.test(octal)) {
      bytes.push(parseInt(octal, 8));
      i += 3;
    } else {
      bytes.push(92);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** `--- a/x\t` → `x`; null for /dev/null. Git adds a TAB after names containing a space. */
function pathFromMarker(rest: string, prefix: 'a/' | 'b/'): string | null {
  const value = rest.endsWith('\t') ? rest.slice(0, -1) : rest;
  if (value === '/dev/null') return null;
  const p = unquoteCPath(value);
  return p.startsWith(prefix) ? p.slice(prefix.length) : p;
}

/** The path named by a `diff --git a/X b/X` line when there is no rename (both names equal). */
function pathFromDiffGit(rest: string): string | null {
  if (rest.startsWith('"')) {
    // "a/…" followed by a space and the b-name (quoted or not).
    let i = 1;
    while (i < rest.length && rest[i] !== '"') i += rest[i] === '\\' ? 2 : 1;
    const a = unquoteCPath(rest.slice(0, i + 1));
    return a.startsWith('a/') ? a.slice(2) : a;
  }
  const len = (rest.length - 5) / 2;
  if (!Number.isInteger(len) || len < 1) return null;
  const p = rest.slice(2, 2 + len);
  return rest.slice(2 + len) === ` b/${p}` ? p : null;
}

interface PatchSection {
  path: string | null;
  hunks: DiffHunk[];
}

const HUNK_RE = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

/**
 * Parses a `git diff-tree -p` patch into sections (one per `diff --git`, keyed by the new path;
 * a type change prints two sections for one path). Stops adding lines after `maxLines` lines.
 * When `inputCut` is set, the last (possibly partial) line is ignored.
 */
export function parsePatch(patch: string, opts: { maxLines?: number; inputCut?: boolean } = {}): PatchSection[] {
  const maxLines = opts.maxLines ?? Infinity;
  const lines = patch.split('\n');
  if (opts.inputCut) lines.pop();
  else if (lines[lines.length - 1] === '') lines.pop();

  const sections: PatchSection[] = [];
  let cur: (PatchSection & { renameTo?: string; minus?: string | null; plus?: string | null; gitPath?: string | null }) | null = null;
  let hunk: DiffHunk | null = null;
  let oldLeft = 0;
  let newLeft = 0;
  let oldNo = 0;
  let newNo = 0;
  let shown = 0;
  let lastShown: DiffLine | null = null;

  const finishSection = () => {
    if (!cur) return;
    cur.path = cur.renameTo ?? cur.plus ?? cur.minus ?? cur.gitPath ?? null;
    sections.push({ path: cur.path, hunks: cur.hunks });
    cur = null;
  };

  for (const line of lines) {
    if (hunk && (oldLeft > 0 || newLeft > 0)) {
      // Inside a hunk the counts, not the text, say where it ends (a deleted "-- x" line reads "--- x").
      const tag = line[0];
      if (tag === '\\') {
        if (lastShown) lastShown.noEol = true;
        continue;
      }
      let entry: DiffLine;
      if (tag === '+') {
        entry = { kind: 'add', text: line.slice(1), newNo: newNo++ };
        newLeft--;
      } else if (tag === '-') {
        entry = { kind: 'del', text: line.slice(1), oldNo: oldNo++ };
        oldLeft--;
      } else {
        // ' ' prefix, or an empty line when diff.suppressBlankEmpty is set.
        entry = { kind: 'ctx', text: line.slice(1), oldNo: oldNo++, newNo: newNo++ };
        oldLeft--;
        newLeft--;
      }
      if (shown < maxLines) {
        hunk.lines.push(entry);
        shown++;
        lastShown = entry;
      } else lastShown = null;
      continue;
    }
    if (line.startsWith('\\') && hunk) {
      // "\ No newline at end of file" after the hunk's last counted line.
      if (lastShown) lastShown.noEol = true;
      continue;
    }
    hunk = null;
    if (line.startsWith('diff --git ')) {
      finishSection();
      cur = { path: null, hunks: [], gitPath: pathFromDiffGit(line.slice('diff --git '.length)) };
      continue;
    }
    if (!cur) continue;
    const m = HUNK_RE.exec(line);
    if (m) {
      const h: DiffHunk = {
        header: line,
        oldStart: Number(m[1]),
        oldLines: m[2] === undefined ? 1 : Number(m[2]),
        newStart: Number(m[3]),
        newLines: m[4] === undefined ? 1 : Number(m[4]),
        lines: [],
      };
      oldLeft = h.oldLines;
      newLeft = h.newLines;
      oldNo = h.oldStart;
      newNo = h.newStart;
      if (shown < maxLines) cur.hunks.push(h);
      hunk = h;
      lastShown = null;
      continue;
    }
    if (line.startsWith('rename to ') || line.startsWith('copy to ')) cur.renameTo = unquoteCPath(line.slice(line.indexOf(' to ') + 4));
    else if (line.startsWith('--- ')) cur.minus = pathFromMarker(line.slice(4), 'a/');
    else if (line.startsWith('+++ ')) cur.plus = pathFromMarker(line.slice(4), 'b/');
  }
  finishSection();
  return sections;
}

/**
 * Joins the authoritative file list with the parsed hunks and applies the file limit.
 * `truncated.lines` counts changed lines (from numstat) that the reader will not see.
 */
export function assembleDiff(changes: FileChange[], sections: PatchSection[], opts: { maxFiles?: number } = {}): { files: DiffFile[]; truncated: DiffTruncation } {
  const maxFiles = opts.maxFiles ?? Infinity;
  const byPath = new Map<string, DiffHunk[]>();
  for (const s of sections) {
    if (s.path === null) continue;
    byPath.set(s.path, (byPath.get(s.path) ?? []).concat(s.hunks));
  }
  const files: DiffFile[] = [];
  let hiddenLines = 0;
  changes.forEach((c, i) => {
    if (i >= maxFiles) {
      hiddenLines += c.additions + c.deletions;
      return;
    }
    const hunks = byPath.get(c.path) ?? [];
    const file: DiffFile = { ...c, hunks };
    if (!c.binary) {
      const shownChanges = hunks.reduce((n, h) => n + h.lines.filter((l) => l.kind !== 'ctx').length, 0);
      const missing = c.additions + c.deletions - shownChanges;
      if (missing > 0) {
        file.partial = true;
        hiddenLines += missing;
      }
    }
    files.push(file);
  });
  return { files, truncated: { files: Math.max(0, changes.length - maxFiles), lines: hiddenLines } };
}
