import { CountersignError } from '../errors';
import { checkNotesRef, checkRemote, DEFAULT_NOTES_REF } from './ref';
import {
  entryKey,
  missingCommits,
  publishNotes,
  validateNoteEntries,
  writeValidatedEntries,
  type NoteEntry,
  type PublishOptions,
  type PublishResult,
} from './store';

export interface OutboxOptions extends PublishOptions {
  /** Push after each local write (default true). Off: only `flush()` pushes. */
  autoPublish?: boolean;
}

export interface OutboxAddResult {
  /** Lines of this call that were new (already present or given twice: not counted). */
  added: number;
  /** Settles when a push that started after these lines were durable has finished; never rejects. */
  published: Promise<PublishResult>;
}

export interface NotesOutbox {
  /**
   * Queues signature lines. Resolves once they are in the local notes ref (durable); rejects with
   * the CountersignError of bad input, which writes nothing of this call. Calls arriving while a
   * write or push is in flight are coalesced into one notes commit and one push.
   */
  add(entries: NoteEntry[]): Promise<OutboxAddResult>;
  /** Waits for queued writes, then pushes everything local. */
  flush(): Promise<PublishResult>;
  /** Local writes done so far (notes commits) and pushes started — to see the batching at work. */
  readonly stats: { writes: number; publishes: number };
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Batches signatures that arrive together: at most one local write and one push in flight per
 * outbox; everything that arrives meanwhile goes into the next single notes commit and push.
 * Several outboxes (or processes) on one clone stay correct: local writes are CAS-protected and
 * pushes of one process are serialized per repository.
 */
export function createNotesOutbox(repoDir: string, remote: string, notesRef: string = DEFAULT_NOTES_REF, opts: OutboxOptions = {}): NotesOutbox {
  checkNotesRef(notesRef);
  checkRemote(remote);
  const autoPublish = opts.autoPublish ?? true;
  const stats = { writes: 0, publishes: 0 };

  let queue: Array<{ entries: NoteEntry[]; done: Deferred<OutboxAddResult> }> = [];
  let draining: Promise<void> | null = null;
  let publishing: Promise<void> | null = null;
  let publishWaiters: Array<Deferred<PublishResult>> = [];

  /** A push that starts after this call: everything durable now is in it. */
  function schedulePublish(): Promise<PublishResult> {
    const d = deferred<PublishResult>();
    publishWaiters.push(d);
    if (!publishing) {
      publishing = (async () => {
        while (publishWaiters.length > 0) {
          const waiting = publishWaiters;
          publishWaiters = [];
          stats.publishes++;
          let result: PublishResult;
          try {
            result = await publishNotes(repoDir, remote, notesRef, opts);
          } catch (e) {
            result = { pushed: false, attempts: 0, merges: 0, error: e instanceof Error ? e.message : String(e) };
          }
          for (const w of waiting) w.resolve(result);
        }
        publishing = null;
      })();
    }
    return d.promise;
  }

  async function writeBatch(batch: typeof queue): Promise<void> {
    let missing: Set<string>;
    try {
      missing = await missingCommits(repoDir, batch.flatMap((b) => b.entries.map((e) => e.commit)));
    } catch (e) {
      for (const b of batch) b.done.reject(e);
      return;
    }
    // A caller naming an unknown commit fails alone; the others' lines still go in.
    const ok = batch.filter((b) => {
      const bad = b.entries.find((e) => missing.has(e.commit));
      if (bad) b.done.reject(new CountersignError('unknown-commit', `commit ${bad.commit} is not in ${repoDir}: fetch it first; nothing was written`));
      return !bad;
    });
    if (ok.length === 0) return;
    let added: Set<string>;
    try {
      added = await writeValidatedEntries(repoDir, notesRef, ok.flatMap((b) => b.entries));
      stats.writes++;
    } catch (e) {
      for (const b of ok) b.done.reject(e);
      return;
    }
    const published = autoPublish ? schedulePublish() : null;
    for (const b of ok) {
      let n = 0;
      for (const e of b.entries) {
        // Count each new line once, for the first caller that brought it.
        if (added.delete(entryKey(e))) n++;
      }
      b.done.resolve({ added: n, published: published ?? Promise.resolve(notPublished) });
    }
  }

  const notPublished: PublishResult = { pushed: false, attempts: 0, merges: 0, error: 'autoPublish is off: call flush() to push' };

  function drain(): Promise<void> {
    if (!draining) {
      draining = (async () => {
        // Yield once so that calls made in the same tick land in the same batch.
        await Promise.resolve();
        while (queue.length > 0) {
          const batch = queue;
          queue = [];
          await writeBatch(batch);
        }
        draining = null;
      })();
    }
    return draining;
  }

  return {
    stats,
    add(entries: NoteEntry[]): Promise<OutboxAddResult> {
      let valid: NoteEntry[];
      try {
        valid = validateNoteEntries(entries);
      } catch (e) {
        return Promise.reject(e);
      }
      const done = deferred<OutboxAddResult>();
      queue.push({ entries: valid, done });
      void drain();
      return done.promise;
    },
    async flush(): Promise<PublishResult> {
      while (draining) await draining;
      return schedulePublish();
    },
  };
}
