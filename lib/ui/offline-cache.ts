/**
 * What the phone keeps for reading offline: the last inbox and the most recently opened
 * reviews (ReviewView JSON), in IndexedDB through `idb`. Browser only; every function fails
 * soft (returns null / does nothing) where IndexedDB is missing or refuses, because the cache
 * is a convenience and must never break the online page.
 *
 * Approvals are never queued here: signing needs a fresh challenge from the server.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { InboxItemView, ReviewView } from '../server/types';

export const DB_NAME = 'countersign';
export const DB_VERSION = 1;
/** How many reviews are kept; the oldest opened go first. */
export const MAX_REVIEWS = 30;

export interface SavedInbox {
  key: 'inbox';
  savedAt: string;
  items: InboxItemView[];
}

export interface SavedReview {
  key: string;
  savedAt: string;
  review: ReviewView;
}

interface CacheSchema extends DBSchema {
  inbox: { key: string; value: SavedInbox };
  reviews: { key: string; value: SavedReview; indexes: { savedAt: string } };
}

/** One key per (repository, commit); the NUL separator cannot occur in either. */
export function reviewKey(repo: string, commit: string): string {
  return `${repo}\u0000${commit}`;
}

/** Keys to delete so that only the `keep` most recently saved remain. */
export function keysToPrune(entries: { key: string; savedAt: string }[], keep = MAX_REVIEWS): string[] {
  return [...entries]
    .sort((a, b) => (a.savedAt < b.savedAt ? 1 : a.savedAt > b.savedAt ? -1 : 0))
    .slice(keep)
    .map((e) => e.key);
}

let dbPromise: Promise<IDBPDatabase<CacheSchema>> | null = null;

function db(): Promise<IDBPDatabase<CacheSchema>> | null {
  if (typeof indexedDB === 'undefined') return null;
  dbPromise ??= openDB<CacheSchema>(DB_NAME, DB_VERSION, {
    upgrade(d) {
      d.createObjectStore('inbox', { keyPath: 'key' });
      const reviews = d.createObjectStore('reviews', { keyPath: 'key' });
      reviews.createIndex('savedAt', 'savedAt');
    },
  }).catch((e) => {
    dbPromise = null;
    throw e;
  });
  return dbPromise;
}

async function soft<T>(fn: (d: IDBPDatabase<CacheSchema>) => Promise<T>, fallback: T): Promise<T> {
  const p = db();
  if (!p) return fallback;
  try {
    return await fn(await p);
  } catch {
    return fallback;
  }
}

export function saveInbox(items: InboxItemView[], now = new Date()): Promise<void> {
  return soft(async (d) => {
    await d.put('inbox', { key: 'inbox', savedAt: now.toISOString(), items });
  }, undefined);
}

export function loadInbox(): Promise<SavedInbox | null> {
  return soft(async (d) => (await d.get('inbox', 'inbox')) ?? null, null);
}

export function saveReview(review: ReviewView, now = new Date()): Promise<void> {
  return soft(async (d) => {
    const tx = d.transaction('reviews', 'readwrite');
    await tx.store.put({ key: reviewKey(review.repo, review.commit), savedAt: now.toISOString(), review });
    const all = await tx.store.getAll();
    for (const key of keysToPrune(all)) await tx.store.delete(key);
    await tx.done;
  }, undefined);
}

export function loadReview(repo: string, commit: string): Promise<SavedReview | null> {
  return soft(async (d) => (await d.get('reviews', reviewKey(repo, commit))) ?? null, null);
}

/** Saved reviews, newest first, without their diffs' weight mattering to the caller. */
export function listSavedReviews(): Promise<SavedReview[]> {
  return soft(async (d) => (await d.getAllFromIndex('reviews', 'savedAt')).reverse(), []);
}

/** On sign-out: nothing of this user's stays on the device. */
export function clearOfflineCache(): Promise<void> {
  return soft(async (d) => {
    const tx = d.transaction(['inbox', 'reviews'], 'readwrite');
    await Promise.all([tx.objectStore('inbox').clear(), tx.objectStore('reviews').clear(), tx.done]);
  }, undefined);
}
