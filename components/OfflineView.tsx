'use client';

import Link from 'next/link';
import { useEffect, useState } from 'react';
import type { ReviewView } from '@/lib/server/types';
import { decodeSegment, reviewPath, shortId } from '@/lib/ui/commit-id';
import { formatDateTime } from '@/lib/ui/format';
import { listSavedReviews, loadInbox, loadReview, type SavedInbox, type SavedReview } from '@/lib/ui/offline-cache';
import { InboxList } from './InboxList';
import { ReviewBody } from './ReviewBody';

type State =
  | { kind: 'loading' }
  | { kind: 'review'; saved: SavedReview }
  | { kind: 'missing-review'; repo: string; commit: string; others: SavedReview[] }
  | { kind: 'home'; inbox: SavedInbox | null; reviews: SavedReview[] };

/**
 * What the service worker serves when the network is gone: it reads the address the user
 * asked for and shows the copy saved on this device, clearly marked as such.
 */
export function OfflineView() {
  const [state, setState] = useState<State>({ kind: 'loading' });

  useEffect(() => {
    void (async () => {
      const m = window.location.pathname.match(/^\/r\/([^/]+)\/([^/]+)\/?$/);
      if (m) {
        const repo = decodeSegment(m[1]);
        const commit = decodeSegment(m[2]);
        const saved = await loadReview(repo, commit);
        if (saved) setState({ kind: 'review', saved });
        else setState({ kind: 'missing-review', repo, commit, others: await listSavedReviews() });
      } else {
        const [inbox, reviews] = await Promise.all([loadInbox(), listSavedReviews()]);
        setState({ kind: 'home', inbox, reviews });
      }
    })();
  }, []);

  const savedAt = state.kind === 'review' ? state.saved.savedAt : state.kind === 'home' ? state.inbox?.savedAt : undefined;

  return (
    <div className="space-y-5">
      <div role="status" className="sticky top-14 z-10 flex items-center justify-between gap-3 rounded-xl border border-warn/50 bg-warn-soft p-3 text-sm">
        <p>
          <strong>Offline — showing saved copy</strong>
          {savedAt && <span className="block text-xs">saved {formatDateTime(savedAt)}</span>}
        </p>
        <button type="button" className="btn-secondary shrink-0 px-3 text-sm" onClick={() => window.location.reload()}>
          Try again
        </button>
      </div>

      {state.kind === 'loading' && <p className="text-sm text-muted">Reading what is saved on this device…</p>}

      {state.kind === 'review' && (
        <div className="pb-28">
          <ReviewBody review={state.saved.review} offline />
          <div className="fixed inset-x-0 bottom-0 z-20 border-t border-line bg-bg/95">
            <div className="mx-auto max-w-3xl px-4 pt-3 pb-[max(0.75rem,env(safe-area-inset-bottom))]">
              <button type="button" disabled className="btn-primary min-h-12 w-full text-lg">
                Approve
              </button>
              <p className="mt-1 text-center text-xs text-muted">
                Approving needs a network connection: the server issues a fresh challenge for each approval.
              </p>
            </div>
          </div>
        </div>
      )}

      {state.kind === 'missing-review' && (
        <div className="space-y-4">
          <h1 className="text-2xl font-bold">Not saved on this device</h1>
          <p className="text-sm">
            The review of <span className="font-mono">{shortId(state.commit)}</span> in <strong>{state.repo}</strong> was
            not opened on this device while online, so there is no copy to show.
          </p>
          <SavedReviews reviews={state.others} />
        </div>
      )}

      {state.kind === 'home' && (
        <div className="space-y-6">
          <section className="space-y-3" aria-labelledby="offline-inbox">
            <h1 id="offline-inbox" className="text-2xl font-bold">
              Inbox
            </h1>
            {state.inbox ? (
              <InboxList items={state.inbox.items} />
            ) : (
              <p className="card text-sm text-muted">No inbox saved on this device yet. Open the app once while online.</p>
            )}
          </section>
          <SavedReviews reviews={state.reviews} />
        </div>
      )}
    </div>
  );
}

function SavedReviews({ reviews }: { reviews: SavedReview[] }) {
  if (reviews.length === 0) return null;
  return (
    <section className="space-y-2" aria-labelledby="saved-reviews">
      <h2 id="saved-reviews" className="text-lg font-semibold">
        Saved reviews
      </h2>
      <ul className="space-y-2">
        {reviews.map(({ key, review, savedAt }: { key: string; review: ReviewView; savedAt: string }) => (
          <li key={key}>
            <Link href={reviewPath(review.repo, review.commit)} className="card block text-sm">
              <span className="block font-semibold">{review.title || '(no commit title)'}</span>
              <span className="text-xs text-muted">
                {review.repo} · <span className="font-mono">{shortId(review.commit)}</span> · saved {formatDateTime(savedAt)}
              </span>
            </Link>
          </li>
        ))}
      </ul>
    </section>
  );
}
