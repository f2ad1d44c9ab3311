import type { DiffView } from '@/lib/server/types';
import { diffTotals, fileComplete, openByDefault, truncationNotice, type DiffSource } from '@/lib/ui/diff';
import { plural } from '@/lib/ui/format';
import { DiffFile } from './DiffFile';
import { DiffSourceProvider } from './DiffSource';
import { MoreFiles } from './MoreFiles';

/**
 * The diff: its totals, then each file (components/DiffFile.tsx). On the review page (`source`
 * set) the page holds the file list and a first part; files not in it load when opened, and
 * files beyond the list are counted and listed on request (components/MoreFiles.tsx).
 */
export function DiffViewer({ diff, source }: { diff: DiffView; source?: DiffSource }) {
  const totals = diffTotals(diff);
  const notice = truncationNotice(diff.truncated);
  const files = diff.files.map((f, i) => <DiffFile key={i} file={f} index={i} open={!f.deferred && openByDefault(f, i)} source={source} />);
  const notLoaded = diff.files.filter((f) => !fileComplete(f)).length + (diff.more?.files ?? 0);
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
      {diff.totals && notLoaded > 0 && (
        <p className="text-sm text-muted">
          {`A large diff: ${plural(notLoaded, 'file')} of ${totals.files.toLocaleString('en-US')} load when you open them.`}
        </p>
      )}
      {diff.files.length === 0 && !notice && !diff.more && <p className="text-sm text-muted">This commit changes no files.</p>}
      {source ? (
        <DiffSourceProvider source={source}>
          {files}
          {diff.more && <MoreFiles source={source} {...diff.more} />}
        </DiffSourceProvider>
      ) : (
        files
      )}
      {notice && (
        <p role="note" className="rounded-xl border border-warn/50 bg-warn-soft p-3 text-sm">
          {notice}
        </p>
      )}
    </section>
  );
}
