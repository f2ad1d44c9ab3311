import type { DiffRowView } from '@/lib/server/types';
import type { FileSource } from '@/lib/ui/diff';
import { MoreChars } from './LongLine';

/**
 * Rows of one file's diff, as light as markup goes (a page may hold hundreds): numbers and signs
 * come from CSS (app/globals.css, `.dl`), added lines are <ins>, removed ones <del>. No hooks:
 * rendered on the server for the page's first part and in the browser for chunks loaded later.
 * `first` is the number of the first row, so a cut line can load the rest of itself.
 */
export function DiffRows({ rows, first, source }: { rows: DiffRowView[]; first: number; source?: FileSource }) {
  return (
    <>
      {rows.map((r, i) => {
        if (r.kind === 'hunk') {
          return (
            <div key={i} className="dh">
              {r.text}
            </div>
          );
        }
        const Tag = r.kind === 'add' ? 'ins' : r.kind === 'del' ? 'del' : 'div';
        return (
          <Tag key={i} className="dl" data-o={r.oldNo} data-n={r.newNo}>
            {r.text === '' && !r.cut ? ' ' : r.text}
            {r.cut ? source ? <MoreChars source={source} row={first + i} shown={r.text.length} more={r.cut} /> : <span className="dcut">{`… ${r.cut.toLocaleString('en-US')} more characters`}</span> : null}
          </Tag>
        );
      })}
    </>
  );
}
