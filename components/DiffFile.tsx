import type { DiffFileView } from '@/lib/server/types';
import { fileAnchor, fileRows, fileTitle, hiddenLinesNotice, statBlocks, statusLabel, type DiffSource } from '@/lib/ui/diff';
import { plural } from '@/lib/ui/format';
import { FileLoader } from './DiffLoad';
import { DiffRows } from './DiffRows';

/**
 * One file of a diff as a native <details> section (opens and closes without JavaScript, works
 * with the keyboard and screen readers): its name, status and counts always; its rows when the
 * page holds them, or a loader that fetches them when the section is opened. No hooks: the server
 * renders it for the page, the browser for files listed later. Long lines scroll inside the file's
 * block; the page itself never scrolls sideways.
 */
export function DiffFile({ file, index, open, source }: { file: DiffFileView; index: number; open: boolean; source?: DiffSource }) {
  const title = fileTitle(file);
  const fileSource = source ? { ...source, path: file.path, ...(file.oldPath ? { oldPath: file.oldPath } : {}) } : undefined;
  const rows = file.deferred ? [] : fileRows(file);
  const hidden = hiddenLinesNotice(file);
  return (
    <details id={fileAnchor(file.path, index)} open={open} className="overflow-hidden rounded-xl border border-line bg-raised" data-file={file.path}>
      <summary className="flex min-h-11 items-start gap-2 px-3 py-2.5">
        <span className="chevron mt-0.5" aria-hidden="true">
          ▸
        </span>
        <span className="min-w-0 flex-1">
          <span className="block font-mono text-sm break-all">{title}</span>
          <span className="mt-1 flex flex-wrap items-center gap-x-2 text-xs text-muted">
            <span className="rounded bg-surface px-1.5">{statusLabel(file.status)}</span>
            {file.binary ? (
              'binary file'
            ) : (
              <>
                <span className="text-add-fg" aria-label={plural(file.additions, 'line') + ' added'}>
                  +{file.additions}
                </span>
                <span className="text-del-fg" aria-label={plural(file.deletions, 'line') + ' removed'}>
                  −{file.deletions}
                </span>
                <StatBar additions={file.additions} deletions={file.deletions} />
              </>
            )}
            {file.deferred && ' · not loaded'}
          </span>
        </span>
      </summary>
      {file.binary ? (
        <p className="border-t border-line px-3 py-3 text-sm text-muted">Binary file — its contents are not shown. Check it with git before approving.</p>
      ) : file.deferred ? (
        fileSource ? (
          <FileLoader source={fileSource} start={file.next ?? 0} changed={file.additions + file.deletions} title={title} />
        ) : (
          <p className="border-t border-line px-3 py-3 text-sm text-muted">Not loaded on this device.</p>
        )
      ) : rows.length === 0 ? (
        <p className="border-t border-line px-3 py-3 text-sm text-muted">No content changes (mode or name only).</p>
      ) : (
        <div className="dx" tabIndex={0} aria-label={`Diff of ${title}`}>
          <div className="dw">
            <DiffRows rows={rows} first={0} source={fileSource} />
            {hidden && <div className="dh">{hidden}</div>}
          </div>
        </div>
      )}
    </details>
  );
}

function StatBar({ additions, deletions }: { additions: number; deletions: number }) {
  return (
    <span aria-hidden="true" className="flex gap-0.5">
      {statBlocks(additions, deletions).map((b, i) => (
        <span key={i} className={`size-2 rounded-[2px] ${b === 'add' ? 'bg-add-fg' : b === 'del' ? 'bg-del-fg' : 'bg-line'}`} />
      ))}
    </span>
  );
}
