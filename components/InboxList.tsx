import Link from 'next/link';
import type { InboxItemView } from '@/lib/server/types';
import { changePath, reviewPath } from '@/lib/ui/commit-id';
import { plural, relativeTime } from '@/lib/ui/format';
import { Fingerprint } from './Fingerprint';

/** Review requests, newest first, each with its count against the threshold. Server or client. */
export function InboxList({ items, now }: { items: InboxItemView[]; now?: Date }) {
  const sorted = [...items].sort((a, b) => (a.requestedAt < b.requestedAt ? 1 : a.requestedAt > b.requestedAt ? -1 : 0));
  if (sorted.length === 0) {
    return (
      <p className="card text-sm text-muted">Nothing waits for your signature. Requests for your review appear here.</p>
    );
  }
  return (
    <ul className="space-y-2">
      {sorted.map((it) => (
        <li key={it.id}>
          <Link
            href={it.base ? changePath(it.repo, it.commit, it.base, it.baseName) : reviewPath(it.repo, it.commit)}
            className="card block space-y-1.5 active:bg-surface hover:border-accent/60"
          >
            <span className="flex items-start justify-between gap-3">
              {/* A pull request is known by its title; its head commit's title comes below. */}
              <span className="min-w-0 font-semibold break-words">{it.pr ? it.pr.title || '(no title)' : it.title || '(no commit title)'}</span>
              <span
                className={`shrink-0 rounded-full px-2 py-0.5 text-xs font-semibold ${
                  it.met ? 'bg-ok-soft text-ok' : 'bg-warn-soft text-warn'
                }`}
                aria-label={`${it.count} of ${it.threshold} approvals${it.met ? ', policy met' : ''}`}
              >
                {it.count}/{it.threshold}
              </span>
            </span>
            {it.pr && (
              <span className="block text-sm break-words">
                <span className="font-semibold text-accent">#{it.pr.number}</span> <span className="text-muted">head:</span> {it.title || '(no commit title)'}
              </span>
            )}
            <span className="flex flex-wrap items-center gap-x-2 gap-y-1 text-xs text-muted">
              <span className="font-medium text-fg">{it.repo}</span>
              <span className="font-mono">{it.shortId}</span>
              {it.base && (
                <span>
                  {plural(it.commitCount ?? 0, 'commit')} from {it.baseName ?? <span className="font-mono">{it.base.slice(0, 7)}</span>}
                </span>
              )}
              <Fingerprint id={it.commit} size="sm" />
            </span>
            <span className="flex flex-wrap gap-x-2 text-xs text-muted">
              <span>
                requested by {it.requestedBy}, <time dateTime={it.requestedAt}>{relativeTime(it.requestedAt, now)}</time>
              </span>
              {it.viewerHasSigned && <span className="font-medium text-ok">✓ you approved</span>}
            </span>
          </Link>
          {it.pr && <PullRequestLine item={it} />}
        </li>
      ))}
    </ul>
  );
}

/**
 * Beside a pull request's card (links cannot nest): the pull request on the forge, and signatures
 * made on its earlier heads — they stay in git for the commits they name and do not count for the
 * new head, so a reviewer sees why the count started again.
 */
function PullRequestLine({ item }: { item: InboxItemView }) {
  const pr = item.pr!;
  return (
    <p className="flex flex-wrap gap-x-4 px-1 text-xs text-muted">
      <a href={pr.url} target="_blank" rel="noopener noreferrer" className="inline-block py-2 underline">
        Pull request #{pr.number} on the forge
      </a>
      {pr.earlier.map((e) => (
        <Link key={e.commit} href={reviewPath(item.repo, e.commit)} className="inline-block py-2 underline">
          {plural(e.signatures, 'signature')} on an earlier push <span className="font-mono">{e.shortId.slice(0, 7)}</span>
        </Link>
      ))}
    </p>
  );
}
