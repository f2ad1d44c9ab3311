'use client';

import { useState } from 'react';
import type { DiffFileView, DiffFilesPageView } from '@/lib/server/types';
import { apiGet } from '@/lib/ui/api';
import { diffApiUrl, type DiffSource } from '@/lib/ui/diff';
import { plural } from '@/lib/ui/format';
import { DiffFile } from './DiffFile';

/**
 * The files a review page does not list (a commit of thousands of files): counted, and listed on
 * request a page at a time; each one then loads its diff when opened.
 */
export function MoreFiles({ source, offset, files, additions, deletions }: { source: DiffSource; offset: number; files: number; additions: number; deletions: number }) {
  const [listed, setListed] = useState<DiffFileView[]>([]);
  const [next, setNext] = useState<number | null>(offset);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const left = files - listed.length;
  return (
    <>
      {listed.map((f, i) => (
        <DiffFile key={offset + i} file={{ ...f, deferred: true, next: 0 }} index={offset + i} open={false} source={source} />
      ))}
      {next !== null && (
        <div className="card space-y-2">
          <p className="text-sm">
            {plural(left, 'more file')} not listed yet{listed.length === 0 && ` (+${additions.toLocaleString('en-US')} −${deletions.toLocaleString('en-US')})`}.
          </p>
          <button
            type="button"
            className="btn-secondary w-full"
            disabled={busy}
            onClick={async () => {
              setBusy(true);
              setError(null);
              try {
                const page = await apiGet<DiffFilesPageView>(diffApiUrl(source.repo, source.commit, source.base, { files: next }));
                setListed((l) => [...l, ...page.files]);
                setNext(page.next);
              } catch (e) {
                setError((e as Error).message);
              } finally {
                setBusy(false);
              }
            }}
          >
            {busy ? 'Loading…' : 'Show more files'}
          </button>
          {error && (
            <p role="alert" className="text-xs text-bad">
              {error}
            </p>
          )}
        </div>
      )}
    </>
  );
}
