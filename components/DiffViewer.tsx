import type { DiffFileView, DiffView } from '@/lib/server/types';
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
} from '@/lib/ui/diff';
import { plural } from '@/lib/ui/format';

/**
 * The diff as native <details> sections: they open and close without any JavaScript, work
 * with the keyboard and screen readers, and keep the review page's bundle small.
 * Long lines scroll inside each file's code block; the page itself never scrolls sideways.
 */
export function DiffViewer({ diff }: { diff: DiffView }) {
  const totals = diffTotals(diff);
  const notice = truncationNotice(diff.truncated);
  return (
    <section aria-labelledby="diff-heading" className="space-y-3">
      <div className="flex flex-wrap items-baseline justify-between gap-x-3">
        <h2 id="diff-heading" className="text-lg font-semibold">
          Changes
        </h2>
        <p className="text-sm text-muted">
          {plural(totals.files, 'file')} ·{' '}
          <span className="font-medium text-add-fg">+{totals.additions.toLocaleString('en-US')}</span>{' '}
          <span className="font-medium text-del-fg">−{totals.deletions.toLocaleString('en-US')}</span>
        </p>
      </div>
      {diff.files.length === 0 && !notice && <p className="text-sm text-muted">This commit changes no files.</p>}
      {diff.files.map((f, i) => (
        <DiffFile key={`${i}:${f.path}`} file={f} index={i} />
      ))}
      {notice && (
        <p role="note" className="rounded-xl border border-warn/50 bg-warn-soft p-3 text-sm">
          {notice}
        </p>
      )}
    </section>
  );
}

function StatBar({ additions, deletions }: { additions: number; deletions: number }) {
  return (
    <span aria-hidden="true" className="flex gap-0.5">
      {statBlocks(additions, deletions).map((b, i) => (
        <span
          key={i}
          className={`size-2 rounded-[2px] ${b === 'add' ? 'bg-add-fg' : b === 'del' ? 'bg-del-fg' : 'bg-line'}`}
        />
      ))}
    </span>
  );
}

function DiffFile({ file, index }: { file: DiffFileView; index: number }) {
  const hidden = hiddenLinesNotice(file);
  const title = fileTitle(file);
  return (
    <details id={fileAnchor(file.path, index)} open={openByDefault(file, index)} className="overflow-hidden rounded-xl border border-line bg-raised">
      <summary className="flex min-h-11 items-start gap-2 px-3 py-2.5">
        <span className="chevron mt-0.5" aria-hidden="true">
          ▸
        </span>
        <span className="min-w-0 flex-1">
          <span className="block font-mono text-sm break-all">{title}</span>
          <span className="mt-1 flex flex-wrap items-center gap-x-2 gap-y-1 text-xs text-muted">
            <span className="rounded bg-surface px-1.5 py-0.5 font-medium">{statusLabel(file.status)}</span>
            {file.binary ? (
              <span>binary file</span>
            ) : (
              <>
                <span className="font-medium text-add-fg">+{file.additions}</span>
                <span className="font-medium text-del-fg">−{file.deletions}</span>
                <StatBar additions={file.additions} deletions={file.deletions} />
              </>
            )}
            <span className="sr-only">
              {`${plural(file.additions, 'line')} added, ${plural(file.deletions, 'line')} removed`}
            </span>
          </span>
        </span>
      </summary>
      {file.binary ? (
        <p className="border-t border-line px-3 py-3 text-sm text-muted">
          Binary file — its contents are not shown. Check it with git before approving.
        </p>
      ) : file.hunks.length === 0 ? (
        <p className="border-t border-line px-3 py-3 text-sm text-muted">No content changes (mode or name only).</p>
      ) : (
        <div className="overflow-x-auto border-t border-line" tabIndex={0} aria-label={`Diff of ${title}`}>
          <div className="min-w-full w-max font-mono text-[12.5px] leading-5">
            {file.hunks.map((h, hi) => (
              <div key={hi}>
                <div className="sticky left-0 bg-hunk px-3 py-1 text-xs text-muted">{h.header}</div>
                {h.lines.map((l, li) => (
                  <div
                    key={li}
                    className={`flex ${l.kind === 'add' ? 'bg-add-bg' : l.kind === 'del' ? 'bg-del-bg' : ''}`}
                  >
                    <span
                      aria-hidden="true"
                      className={`sticky left-0 flex shrink-0 select-none text-right text-muted ${
                        l.kind === 'add' ? 'bg-add-line' : l.kind === 'del' ? 'bg-del-line' : 'bg-raised'
                      }`}
                    >
                      <span className="w-9 pr-1">{l.oldNo ?? ''}</span>
                      <span className="w-9 pr-1">{l.newNo ?? ''}</span>
                    </span>
                    <span
                      className={`w-4 shrink-0 text-center select-none ${
                        l.kind === 'add' ? 'text-add-fg' : l.kind === 'del' ? 'text-del-fg' : 'text-muted'
                      }`}
                    >
                      <span aria-hidden="true">{lineSign(l.kind)}</span>
                      <span className="sr-only">{l.kind === 'add' ? 'added: ' : l.kind === 'del' ? 'removed: ' : ''}</span>
                    </span>
                    <span className="pr-4 whitespace-pre">{l.text === '' ? ' ' : l.text}</span>
                  </div>
                ))}
              </div>
            ))}
            {hidden && <div className="sticky left-0 px-3 py-2 text-xs text-muted">{hidden}</div>}
          </div>
        </div>
      )}
    </details>
  );
}
