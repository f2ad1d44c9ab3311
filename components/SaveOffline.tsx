'use client';

import { useEffect } from 'react';
import type { InboxItemView, ReviewView, UserView } from '@/lib/server/types';
import { apiGet, ApiError } from '@/lib/ui/api';

/**
 * Who the server says is signed in here, or null. A 401 means the session is gone (expired,
 * revoked, signed out elsewhere): the copy on this device is dropped then (lib/ui/api.ts does
 * that for every 401; done here too, so it never depends on a module being loaded).
 */
async function signedInUserId(): Promise<string | null> {
  try {
    return (await apiGet<{ user: UserView }>('/api/me')).user.id;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      const { clearOfflineCache } = await import('@/lib/ui/offline-cache');
      await clearOfflineCache();
    }
    return null;
  }
}

/** Runs `run` once the page is idle; returns the cleanup for useEffect. */
function whenIdle(run: () => void): () => void {
  const w = window as Window & { requestIdleCallback?: (cb: () => void) => number; cancelIdleCallback?: (h: number) => void };
  const handle = w.requestIdleCallback ? w.requestIdleCallback(run) : window.setTimeout(run, 1500);
  return () => {
    if (w.cancelIdleCallback) w.cancelIdleCallback(handle);
    else window.clearTimeout(handle);
  };
}

/** Keeps the inbox just shown for reading offline, as the signed-in user's. The items are small, so they come as props. */
export function SaveInboxOffline({ items }: { items: InboxItemView[] }) {
  useEffect(() => {
    let cancelled = false;
    const cancel = whenIdle(() => {
      void (async () => {
        const userId = await signedInUserId();
        if (!userId || cancelled) return;
        const { saveInbox } = await import('@/lib/ui/offline-cache');
        await saveInbox(userId, items);
      })().catch(() => undefined);
    });
    return () => {
      cancelled = true;
      cancel();
    };
  }, [items]);
  return null;
}

/**
 * Keeps this review for reading offline, as the signed-in user's; a visitor who is not signed in
 * saves nothing and drops any copy left on the device. The ReviewView (with its diff) is fetched
 * as JSON once the page is idle instead of being passed as props, which would send it twice.
 */
export function SaveReviewOffline({ repo, commit }: { repo: string; commit: string }) {
  useEffect(() => {
    let cancelled = false;
    const cancel = whenIdle(() => {
      void (async () => {
        const userId = await signedInUserId();
        if (!userId || cancelled) return;
        const review = await apiGet<ReviewView>(`/api/repos/${encodeURIComponent(repo)}/commits/${encodeURIComponent(commit)}`);
        // Loaded on demand so the review page's first load stays small.
        const { saveReview } = await import('@/lib/ui/offline-cache');
        if (!cancelled) await saveReview(userId, review);
      })().catch(() => {
        // Offline or refused: the copy already saved (if any) stays.
      });
    });
    return () => {
      cancelled = true;
      cancel();
    };
  }, [repo, commit]);
  return null;
}
