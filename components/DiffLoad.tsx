'use client';

import { useCallback, useEffect, useRef, useState } from 'react';
import type { DiffChunkView, DiffRowView } from '@/lib/server/types';
import { apiGet } from '@/lib/ui/api';
import { changedLines, chunkUrl, FILE_SHOWN_EVENT, type FileSource } from '@/lib/ui/diff';
import { plural } from '@/lib/ui/format';
import { DiffRows } from './DiffRows';
import { useDiffSource } from './DiffSource';

/**
 * A file's diff that is not in the page, loaded chunk by chunk from the diff API: when its section
 * is opened (or on the button), then "Load more" until the end. Tells the approve bar when the
 * whole file is on the page. `changed` is the file's added + removed lines, so what is still
 * missing is always counted.
 */
export function FileLoader({ path, oldPath, start, changed }: { path: string; oldPath?: string; start: number; changed: number }) {
  const review = useDiffSource();
  const source: FileSource | null = review ? { ...review, path, ...(oldPath ? { oldPath } : {}) } : null;
  const title = oldPath && oldPath !== path ? `${oldPath} → ${path}` : path;
  const [chunks, setChunks] = useState<{ start: number; rows: DiffRowView[] }[]>([]);
  const [next, setNext] = useState<number | null>(start);
  const [cut, setCut] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const box = useRef<HTMLDivElement>(null);
  const loading = useRef(false);

  const load = useCallback(async () => {
    if (loading.current || next === null || !source) return;
    loading.current = true;
    setBusy(true);
    setError(null);
    try {
      const c = await apiGet<DiffChunkView>(chunkUrl(source, next));
      setChunks((old) => [...old, { start: c.start, rows: c.rows }]);
      setNext(c.next);
      setCut(c.cut);
      if (c.next === null && !c.cut) window.dispatchEvent(new CustomEvent(FILE_SHOWN_EVENT, { detail: `${source.oldPath ?? ''}\0${source.path}` }));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      loading.current = false;
      setBusy(false);
    }
    // `source` is rebuilt on every render from these stable parts.
  }, [review, path, oldPath, next]);

  // Opening the file's section loads its first chunk: nothing to tap twice.
  useEffect(() => {
    const details = box.current?.closest('details');
    if (!details || chunks.length > 0) return;
    const onToggle = () => {
      if (details.open) void load();
    };
    if (details.open) onToggle();
    details.addEventListener('toggle', onToggle);
    return () => details.removeEventListener('toggle', onToggle);
  }, [load, chunks.length]);

  const shown = chunks.reduce((n, c) => n + changedLines(c.rows), 0);
  const missing = Math.max(0, changed - shown);
  return (
    <div ref={box}>
      {chunks.length > 0 && (
        <div className="dx" tabIndex={0} aria-label={`Diff of ${title}`}>
          <div className="dw">
            {chunks.map((c) => (
              <DiffRows key={c.start} rows={c.rows} first={c.start} source={source ?? undefined} />
            ))}
          </div>
        </div>
      )}
      {next !== null ? (
        <div className="border-t border-line px-3 py-2">
          <button type="button" className="btn-secondary min-h-11 w-full text-sm" disabled={busy} onClick={() => void load()}>
            {busy ? 'Loading…' : chunks.length === 0 ? `Load diff (${plural(changed, 'changed line')})` : `Load more (${plural(missing, 'changed line')} not shown yet)`}
          </button>
          {error && (
            <p role="alert" className="mt-1 text-xs text-bad">
              {error}
            </p>
          )}
        </div>
      ) : (
        cut && (
          <p className="border-t border-line px-3 py-2 text-xs text-muted">
            {`The rest of this file's diff (${plural(missing, 'changed line')}) is too large to show here. Read it with git show before approving.`}
          </p>
        )
      )}
    </div>
  );
}
