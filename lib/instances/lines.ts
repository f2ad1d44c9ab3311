import { createHash } from 'node:crypto';
import { fetchNotes, readNoteLines } from '../notes/store';
import type { AppEvents } from '../server/events';
import type { Publisher } from '../server/publisher';
import { REMOTE, type RepoHandle } from '../server/repos';

/** How long a notified line is looked for before the ordinary fetch window takes over again. */
const LOOK_FOR_MS = 5_000;
const FIRST_RETRY_MS = 100;

export interface LineNotice {
  /** The instance that wrote it. */
  i: number;
  r: string;
  c: string;
  n: string;
  /** SHA-256 of the line, hex, shortened: the payload stays small (NOTIFY allows 8000 bytes). */
  h: string;
}

export const lineHash = (line: string) => createHash('sha256').update(line).digest('hex').slice(0, 32);

/**
 * Signatures show up at once on every instance: after an instance's push of a new line has
 * landed on the remote (not before: the others would fetch too early), it NOTIFYs; every other
 * instance fetches the notes at once, so its pages and API show the line without waiting for
 * their fetch window. A receiver that does not see the line yet (its fetch raced the push,
 * or joined one already under way) fetches again, backing off, for a few seconds.
 */
export function wireLineNotices(opts: {
  instanceId: number;
  events: AppEvents;
  publisher: Publisher;
  repos: Map<string, RepoHandle>;
  notify: (payload: string) => Promise<void>;
  log: (l: string) => void;
}): { receive(payload: string): void; refreshAll(): void } {
  opts.events.on('line-written', async ({ repo, commit, notesRef, line }) => {
    if (!(await opts.publisher.whenPublished(repo))) return;
    const notice: LineNotice = { i: opts.instanceId, r: repo, c: commit, n: notesRef, h: lineHash(line) };
    await opts.notify(JSON.stringify(notice));
  });

  const wanted = new Map<string, Map<string, LineNotice & { until: number }>>();
  const running = new Set<string>();

  async function lookFor(repoName: string): Promise<void> {
    if (running.has(repoName)) return;
    running.add(repoName);
    const repo = opts.repos.get(repoName)!;
    const want = wanted.get(repoName)!;
    let wait = FIRST_RETRY_MS;
    try {
      while (want.size > 0) {
        // The notes only (one fetch and a merge): branches and the default branch are the fetch
        // window's business, and a commit B lacks is fetched when someone asks for it.
        for (const ref of new Set([...want.values()].map((n) => n.n))) await fetchNotes(repo.dir, REMOTE, ref).catch(() => {});
        for (const [key, n] of want) {
          const lines = await readNoteLines(repo.dir, n.n, n.c).catch(() => [] as string[]);
          if (lines.some((l) => lineHash(l) === n.h) || Date.now() > n.until) want.delete(key);
        }
        if (want.size === 0) break;
        await new Promise((r) => setTimeout(r, wait).unref());
        wait = Math.min(wait * 2, 1000);
      }
    } finally {
      running.delete(repoName);
    }
    if (want.size > 0) void lookFor(repoName); // a notice arrived while we were finishing
  }

  return {
    receive(payload) {
      let n: LineNotice;
      try {
        n = JSON.parse(payload);
      } catch {
        return;
      }
      if (n.i === opts.instanceId || typeof n.r !== 'string' || !opts.repos.has(n.r)) return;
      let want = wanted.get(n.r);
      if (!want) wanted.set(n.r, (want = new Map()));
      want.set(`${n.c} ${n.h}`, { ...n, until: Date.now() + LOOK_FOR_MS });
      lookFor(n.r).catch((e) => opts.log(`countersign: fetching notified lines of "${n.r}" failed: ${(e as Error).message}`));
    },
    /** After a lost connection: notices may have been missed, so fetch everything once. */
    refreshAll() {
      for (const repo of opts.repos.values()) void repo.refresh({ maxAgeMs: 0 });
    },
  };
}
