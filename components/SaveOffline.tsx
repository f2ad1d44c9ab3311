'use client';

import { useEffect } from 'react';
import type { InboxItemView, ReviewView } from '@/lib/server/types';
import { apiGet } from '@/lib/ui/api';

/** Keeps the inbox just shown for reading offline. The items are small, so they come as props. */
export function SaveInboxOffline({ items }: { items: InboxItemView[] }) {
  useEffect(() => {
    void import('@/lib/ui/offline-cache').then((m) => m.saveInbox(items)).catch(() => undefined);
  }, [items]);
  return null;
}

/**
 * Keeps this review for reading offline. The ReviewView (with its diff) is fetched as JSON
 * once the page is idle instead of being passed as props, which would send it twice.
 */
export function SaveReviewOffline({ repo, commit }: { repo: string; commit: string }) {
  useEffect(() => {
    let cancelled = false;
    const run = async () => {
      try {
        const review = await apiGet<ReviewView>(
          `/api/repos/${encodeURIComponent(repo)}/commits/${encodeURIComponent(commit)}`,
        );
        // Loaded on demand so the review page's first load stays small.
        const { saveReview } = await import('@/lib/ui/offline-cache');
        if (!cancelled) await saveReview(review);
      } catch {
        // Offline or refused: the copy already saved (if any) stays.
      }
    };
    const w = window as Window & { requestIdleCallback?: (cb: () => void) => number; cancelIdleCallback?: (h: number) => void };
    const handle = w.requestIdleCallback ? w.requestIdleCallback(run) : window.setTimeout(run, 1500);
    return () => {
      cancelled = true;
      if (w.cancelIdleCallback) w.cancelIdleCallback(handle);
      else window.clearTimeout(handle);
    };
  }, [repo, commit]);
  return null;
}
