'use client';

import { useState } from 'react';
import type { DiffChunkView } from '@/lib/server/types';
import { apiGet } from '@/lib/ui/api';
import { chunkUrl, type FileSource } from '@/lib/ui/diff';

const WHOLE_LINE = 1024 * 1024;

/**
 * The end of a line too long to send at once: says how many characters are left out, and loads
 * them (up to 1 MiB of a line; beyond that it says how much is still left out) on a tap.
 */
export function MoreChars({ source, row, shown, more }: { source: FileSource; row: number; shown: number; more: number }) {
  const [rest, setRest] = useState<{ text: string; left: number } | null>(null);
  const [state, setState] = useState<'idle' | 'busy' | 'failed'>('idle');
  if (rest) return <>{rest.text}{rest.left > 0 && <span className="dcut">{`… ${rest.left.toLocaleString('en-US')} more characters (read them with git)`}</span>}</>;
  return (
    <button
      type="button"
      className="dcut"
      disabled={state === 'busy'}
      onClick={async () => {
        setState('busy');
        try {
          const c = await apiGet<DiffChunkView>(chunkUrl(source, row, { count: 1, lineChars: WHOLE_LINE }));
          const line = c.rows[0];
          setRest({ text: line && line.kind !== 'hunk' ? line.text.slice(shown) : '', left: line && line.kind !== 'hunk' ? (line.cut ?? 0) : more });
        } catch {
          setState('failed');
        }
      }}
    >
      {state === 'failed' ? 'Could not load; tap to retry' : `… ${more.toLocaleString('en-US')} more characters`}
    </button>
  );
}
