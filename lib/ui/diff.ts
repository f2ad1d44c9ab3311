import type { DiffFileView, DiffRowView, DiffView } from '../server/types';
import { plural } from './format';

/** Totals over the whole diff (a paged diff says them; otherwise over the files that are shown). */
export function diffTotals(diff: DiffView): { files: number; additions: number; deletions: number } {
  if (diff.totals) return { files: diff.totals.files, additions: diff.totals.additions, deletions: diff.totals.deletions };
  let additions = 0;
  let deletions = 0;
  for (const f of diff.files) {
    additions += f.additions;
    deletions += f.deletions;
  }
  return { files: diff.files.length + diff.truncated.files, additions, deletions };
}

export type StatBlock = 'add' | 'del' | 'none';

/**
 * A five-block bar in the manner of `git diff --stat` and forges: the share of additions and
 * deletions, rounded so that any non-zero side gets at least one block.
 */
export function statBlocks(additions: number, deletions: number, blocks = 5): StatBlock[] {
  const total = additions + deletions;
  if (total === 0) return Array<StatBlock>(blocks).fill('none');
  const scale = Math.min(total, blocks);
  let add = Math.round((additions / total) * scale);
  if (additions > 0 && add === 0) add = 1;
  if (deletions > 0 && add === scale) add = scale - 1;
  const del = scale - add;
  return [
    ...Array<StatBlock>(add).fill('add'),
    ...Array<StatBlock>(del).fill('del'),
    ...Array<StatBlock>(blocks - scale).fill('none'),
  ];
}

const STATUS_LABEL: Record<DiffFileView['status'], string> = {
  added: 'Added',
  deleted: 'Deleted',
  modified: 'Modified',
  renamed: 'Renamed',
  copied: 'Copied',
  'type-changed': 'Type changed',
};

export function statusLabel(status: DiffFileView['status']): string {
  return STATUS_LABEL[status] ?? status;
}

/** "old/path → new/path" for renames and copies, the path otherwise. */
export function fileTitle(file: DiffFileView): string {
  return file.oldPath && file.oldPath !== file.path ? `${file.oldPath} → ${file.path}` : file.path;
}

/** How many lines a file section would render. */
export function renderedLines(file: DiffFileView): number {
  return file.rows ? file.rows.filter((r) => r.kind !== 'hunk').length : file.hunks.reduce((n, h) => n + h.lines.length, 0);
}

/**
 * Small files start open so a short commit reads top to bottom without a tap; big ones and
 * those far down a long list start closed so the page stays light on a phone.
 */
export function openByDefault(file: DiffFileView, index: number, maxLines = 400, maxOpenFiles = 25): boolean {
  if (file.binary) return true;
  return index < maxOpenFiles && renderedLines(file) <= maxLines;
}

/** The note shown under a diff the server cut short, or null when nothing was cut. */
export function truncationNotice(t: DiffView['truncated']): string | null {
  const parts: string[] = [];
  if (t.files > 0) parts.push(`${plural(t.files, 'more file')}`);
  if (t.lines > 0) parts.push(`${plural(t.lines, 'more line')}`);
  if (parts.length === 0) return null;
  return `This diff is too large to show in full: ${parts.join(' and ')} not shown. Review the rest with git (git show) before approving.`;
}

/** A note for one file whose lines were cut. */
export function hiddenLinesNotice(file: DiffFileView): string | null {
  return file.hiddenLines && file.hiddenLines > 0
    ? `${plural(file.hiddenLines, 'more line')} of this file not shown.`
    : null;
}

/** A stable, URL-safe anchor for a file section. */
export function fileAnchor(path: string, index: number): string {
  const slug = path
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return `file-${index}${slug ? `-${slug}` : ''}`;
}

/** The sign column of a diff line. */
export function lineSign(kind: 'add' | 'del' | 'ctx'): string {
  return kind === 'add' ? '+' : kind === 'del' ? '-' : ' ';
}

/** A file's rows: the paged diff's, or its hunks numbered the same way (a header row, then its lines). */
export function fileRows(file: DiffFileView): DiffRowView[] {
  if (file.rows) return file.rows;
  return file.hunks.flatMap((h): DiffRowView[] => [{ kind: 'hunk', text: h.header }, ...h.lines]);
}

/** Added and removed lines among rows. */
export function changedLines(rows: DiffRowView[]): number {
  return rows.reduce((n, r) => n + (r.kind === 'add' || r.kind === 'del' ? 1 : 0), 0);
}

/** The page holds all of this file there is to see (a binary file: its entry). */
export function fileComplete(file: DiffFileView): boolean {
  return file.binary || (!file.deferred && (file.next ?? null) === null && !file.hiddenLines);
}

/** How many files a page shows in full, of how many the diff has. */
export function pageProgress(diff: DiffView): { shown: number; total: number } {
  return { shown: diff.files.filter(fileComplete).length, total: diffTotals(diff).files };
}

/** The diff API for a review: `params` as the query (`files`, or `path`, `old`, `start`, …); `base` for a change. */
export function diffApiUrl(repo: string, commit: string, base: string | undefined, params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  if (base) q.set('base', base);
  return `/api/repos/${encodeURIComponent(repo)}/commits/${encodeURIComponent(commit)}/diff?${q}`;
}

/**
 * What the approve bar says while parts of the diff are not loaded: the approval covers all of
 * it, whatever was read. Null once every file is shown.
 */
export function viewedNotice(shown: number, total: number, what: 'commit' | 'change'): string | null {
  if (total === 0 || shown >= total) return null;
  return `You have seen ${shown.toLocaleString('en-US')} of ${plural(total, 'file')} in full. Approving signs the whole ${what}, all ${total.toLocaleString('en-US')} files.`;
}

/** The event a file's loader sends when all of that file is on the page (the approve bar counts them). */
export const FILE_SHOWN_EVENT = 'countersign:file-shown';

/** Which review a diff belongs to, for the diff API. */
export interface DiffSource {
  repo: string;
  commit: string;
  /** A change's base (full id). */
  base?: string;
}

/** One file of a review, for the diff API. */
export interface FileSource extends DiffSource {
  path: string;
  oldPath?: string;
}

/** The diff API address of rows `start`… of a file (`lineChars` long lines at most). */
export function chunkUrl(f: FileSource, start: number, extra: { count?: number; lineChars?: number } = {}): string {
  return diffApiUrl(f.repo, f.commit, f.base, { path: f.path, old: f.oldPath && f.oldPath !== f.path ? f.oldPath : undefined, start, ...extra });
}
