/**
 * What the phone keeps for reading offline: the last inbox and the most recently opened
 * reviews (ReviewView JSON), in IndexedDB through `idb`. Browser only; every function fails
 * soft (returns null / does nothing) where IndexedDB is missing or refuses, because the cache
 * is a convenience and must never break the online page.
 *
 * Approvals are never queued here: signing needs a fresh challenge from the server.
 *
 * The copy belongs to one user and lives no longer than their session could: it is saved only
 * after the server confirmed who is signed in (GET /api/me), everything is dropped when another
 * user saves, on sign-out, whenever the server answers 401 (session expired or revoked), and a
 * copy older than a session's idle lifetime is neither shown nor kept.
 */
import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction } from 'idb';
import type { InboxItemView, ReviewView } from '../server/types';

export const DB_NAME = 'countersign';
export const DB_VERSION = 2;
/** How many reviews are kept; the oldest opened go first. */
export const MAX_REVIEWS = 30;

/** A session ends after 30 days unused (lib/auth/sessions.ts): a copy older than that has no owner left. */
export const OFFLINE_MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;

export interface SavedInbox {
  key: 'inbox';
  userId: string;
  savedAt: string;
  items: InboxItemView[];
}

export interface SavedReview {
  key: string;
  userId: string;
  savedAt: string;
  review: ReviewView;
}

/** Whose copy this is, and until when it may be shown without the server confirming the session. */
export interface CacheOwner {
  key: 'owner';
  userId: string;
  validUntil: string;
}

interface CacheSchema extends DBSchema {
  inbox: { key: string; value: SavedInbox };
  reviews: { key: string; value: SavedReview; indexes: { savedAt: string } };
  meta: { key: string; value: CacheOwner };
}

/**
 * Before `userId` saves: whether what is stored must go first (another user's, or expired), and
 * the owner record to write.
 */
export function claimFor(owner: CacheOwner | undefined, userId: string, now: Date): { clear: boolean; owner: CacheOwner } {
  const clear = !!owner && (owner.userId !== userId || !ownerValid(owner, now));
  return { clear, owner: { key: 'owner', userId, validUntil: new Date(now.getTime() + OFFLINE_MAX_AGE_MS).toISOString() } };
}

export function ownerValid(owner: CacheOwner | undefined, now: Date): owner is CacheOwner {
  return !!owner && Date.parse(owner.validUntil) > now.getTime();
}

/** A saved record may be shown: it is the current owner's and the owner's copy has not expired. */
export function readable(owner: CacheOwner | undefined, record: { userId?: string } | undefined, now: Date): boolean {
  return !!record && ownerValid(owner, now) && record.userId === owner.userId;
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
    upgrade(d, oldVersion) {
      // Version 1 copies have no owner: dropped, not adopted by whoever saves next.
      if (oldVersion >= 1) {
        for (const name of [...d.objectStoreNames]) d.deleteObjectStore(name);
      }
      d.createObjectStore('inbox', { keyPath: 'key' });
      const reviews = d.createObjectStore('reviews', { keyPath: 'key' });
      reviews.createIndex('savedAt', 'savedAt');
      d.createObjectStore('meta', { keyPath: 'key' });
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

/** Makes `userId` the owner (dropping anyone else's copy) within the transaction `tx`. */
async function claim(tx: IDBPTransaction<CacheSchema, typeof STORES, 'readwrite'>, userId: string, now: Date): Promise<void> {
  const { clear, owner } = claimFor(await tx.objectStore('meta').get('owner'), userId, now);
  if (clear) await Promise.all([tx.objectStore('inbox').clear(), tx.objectStore('reviews').clear()]);
  await tx.objectStore('meta').put(owner);
}

const STORES = ['inbox', 'reviews', 'meta'] as const;

export function saveInbox(userId: string, items: InboxItemView[], now = new Date()): Promise<void> {
  return soft(async (d) => {
    const tx = d.transaction(STORES, 'readwrite');
    await claim(tx, userId, now);
    await tx.objectStore('inbox').put({ key: 'inbox', userId, savedAt: now.toISOString(), items });
    await tx.done;
  }, undefined);
}

/** What is saved, if the owner's copy is still valid; an expired copy is dropped. */
async function readOwned<T extends { userId?: string }>(d: IDBPDatabase<CacheSchema>, read: () => Promise<T | undefined>, now: Date): Promise<T | null> {
  const owner = await d.get('meta', 'owner');
  if (owner && !ownerValid(owner, now)) {
    await clearOfflineCache();
    return null;
  }
  const record = await read();
  return readable(owner, record, now) ? record! : null;
}

export function loadInbox(now = new Date()): Promise<SavedInbox | null> {
  return soft((d) => readOwned(d, () => d.get('inbox', 'inbox'), now), null);
}

export function saveReview(userId: string, review: ReviewView, now = new Date()): Promise<void> {
  return soft(async (d) => {
    const tx = d.transaction(STORES, 'readwrite');
    await claim(tx, userId, now);
    const store = tx.objectStore('reviews');
    await store.put({ key: reviewKey(review.repo, review.commit), userId, savedAt: now.toISOString(), review });
    const all = await store.getAll();
    for (const key of keysToPrune(all)) await store.delete(key);
    await tx.done;
  }, undefined);
}

export function loadReview(repo: string, commit: string, now = new Date()): Promise<SavedReview | null> {
  return soft((d) => readOwned(d, () => d.get('reviews', reviewKey(repo, commit)), now), null);
}

/** Saved reviews, newest first, without their diffs' weight mattering to the caller. */
export function listSavedReviews(now = new Date()): Promise<SavedReview[]> {
  return soft(async (d) => {
    const owner = await d.get('meta', 'owner');
    if (!ownerValid(owner, now)) return [];
    return (await d.getAllFromIndex('reviews', 'savedAt')).reverse().filter((r) => readable(owner, r, now));
  }, []);
}

/** On sign-out, and whenever the server says the session is gone: nothing of this user's stays on the device. */
export function clearOfflineCache(): Promise<void> {
  return soft(async (d) => {
    const tx = d.transaction(STORES, 'readwrite');
    await Promise.all([...STORES.map((n) => tx.objectStore(n).clear()), tx.done]);
  }, undefined);
}
