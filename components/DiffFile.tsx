import type { DiffFileView } from '@/lib/server/types';
import { fileAnchor, fileRows, fileTitle, hiddenLinesNotice, statusLabel, type DiffSource } from '@/lib/ui/diff';
import { FileLoader } from './DiffLoad';
import { DiffRows } from './DiffRows';

/**
 * One file of a diff as a native <details> section (opens and closes without JavaScript, works
 * with the keyboard and screen readers): its name, status and counts always; its rows when the
 * page holds them, or a loader that fetches them when the section is opened. No hooks: the server
 * renders it for the page, the browser for files listed later. Long lines scroll inside the file's
 * block; the page itself never scrolls sideways. The markup is kept lean (classes in
 * app/globals.css, `.df`): a page lists up to a hundred of these.
 */
export function DiffFile({ file, index, open, source }: { file: DiffFileView; index: number; open: boolean; source?: DiffSource }) {
  const title = fileTitle(file);
  const rows = file.deferred ? [] : fileRows(file);
  const hidden = hiddenLinesNotice(file);
  const note = (text: string) => <p className="dn">{text}</p>;
  return (
    <details id={fileAnchor(file.path, index)} open={open} className="df" data-file={file.path}>
      <summary>
        <b>{title}</b>
        <small>
          {statusLabel(file.status)}
          {file.binary ? ' · binary file' : <> <ins>+{file.additions}</ins> <del>−{file.deletions}</del></>}
          {file.deferred && ' · not loaded'}
        </small>
      </summary>
      {file.binary ? (
        note('Binary file — its contents are not shown. Check it with git before approving.')
      ) : file.deferred ? (
        source ? <FileLoader path={file.path} oldPath={file.oldPath} start={file.next ?? 0} changed={file.additions + file.deletions} /> : note('Not loaded on this device.')
      ) : rows.length === 0 ? (
        note('No content changes (mode or name only).')
      ) : (
        <div className="dx" tabIndex={0} aria-label={`Diff of ${title}`}>
          <div className="dw">
            <DiffRows rows={rows} first={0} source={source && { ...source, path: file.path, ...(file.oldPath ? { oldPath: file.oldPath } : {}) }} />
            {hidden && <div className="dh">{hidden}</div>}
          </div>
        </div>
      )}
    </details>
  );
}
