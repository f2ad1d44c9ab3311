import type { CommitDiff } from '../git/diff';
import type { DiffView } from './types';

/** The git diff as the review screen shows it (what is hidden is counted, never silently dropped). */
export function toDiffView(d: CommitDiff): DiffView {
  return {
    files: d.files.map((f) => {
      const shown = f.hunks.reduce((n, h) => n + h.lines.filter((l) => l.kind !== 'ctx').length, 0);
      const hidden = f.binary ? 0 : Math.max(0, f.additions + f.deletions - shown);
      return {
        path: f.path,
        ...(f.oldPath ? { oldPath: f.oldPath } : {}),
        status: f.status,
        additions: f.additions,
        deletions: f.deletions,
        binary: f.binary,
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
