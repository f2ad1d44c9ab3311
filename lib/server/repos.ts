import { existsSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_NOTES_REF, type RepositoryConfig } from '../config/config';
import { CountersignError } from '../errors';
import { hasObjectLocally, isPartialClone, makeClone, type CloneMode, type CloneProgress } from '../git/clone';
import { writeCommitGraph } from '../git/commit-graph';
import { resolveCommit, type CommitInfo } from '../git/commit';
import { branchTips, buildReachIndex, reachIndexFor, setReachIndex } from '../git/reach-index';
import { runGit } from '../git/run';
import { createNotesOutbox, type NotesOutbox } from '../notes/outbox';
import { fetchNotes } from '../notes/store';
import { loadTrustedPolicy, type TrustedPolicy } from '../policy/trusted';

/**
 * The server's own clone of each configured repository (`<dataDir>/repos/<name>`, bare, with the
 * remote's branches as refs/remotes/origin/*; partial unless configured `clone: "full"`,
 * lib/git/clone.ts). Commits, diffs and the trusted policy are read from it; notes are written to
 * it first (the durable outbox) and then pushed.
 *
 * Opening never waits for the remote: a clone that does not exist yet is made in the background
 * (the repository says "cloning", with git's progress, until it is done), and an existing one is
 * served as it is while a fetch brings it up to date. After each fetch that moves branches, the
 * commit-graph and the reachability index (lib/git/reach-index.ts) are refreshed in the
 * background too, so history questions on the request path cost what they cost on a small repository.
 */
export const REMOTE = 'origin';
/** A request starts a background fetch when the last one is older than this. */
export const FRESH_MS = 3000;
/** A request for a repository still being cloned waits this long for the clone before it is told so. */
export const CLONE_GRACE_MS = 5000;
/** The first request after a start waits this long at most for the first fetch of an existing clone. */
export const FIRST_FETCH_WAIT_MS = 2000;
/** A clone that failed (remote unreachable) is tried again after this long, doubling up to CLONE_RETRY_MAX_MS. */
export const CLONE_RETRY_MS = 5000;
export const CLONE_RETRY_MAX_MS = 5 * 60_000;
const COMMIT_CACHE = 1000;
const FULL_ID_RE = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

export interface RefreshResult {
  ok: boolean;
  error?: string;
}

/** Where a repository's clone stands: what its pages and GET /api/repos say. */
export type RepoStatus =
  | { state: 'ready' }
  | { state: 'cloning'; since: string; progress: CloneProgress | null; lastError: string | null };

export interface RepoHandle {
  config: RepositoryConfig;
  dir: string;
  /**
   * Brings branches and notes from the remote when the last fetch is older than `maxAgeMs`;
   * concurrent callers share one fetch. It waits for that fetch only with `maxAgeMs: 0` (or
   * `wait`), or when this process has not fetched yet: otherwise the clone is served as it is
   * while the fetch runs (stale-while-revalidate) and the answer is the last fetch's.
   */
  refresh(opts?: { maxAgeMs?: number; wait?: boolean }): Promise<RefreshResult>;
  /** Fetches one commit by id (for commits on no branch) — best effort. */
  fetchCommit(id: string): Promise<boolean>;
  /** The trusted policy, read from the remote's default branch (or the configured policyRef) of the clone. */
  trusted(): Promise<TrustedPolicy>;
  /** Where signatures go: the configured notesRef, which must agree with the trusted policy's. */
  notesRefFor(trusted: TrustedPolicy): string;
  /** The batching local-first writer for a notes ref of this clone. */
  outbox(notesRef: string): NotesOutbox;
  /** A commit of the clone by full id; objects never change, so answers are cached. Throws 'unknown-commit'. */
  commit(id: string): Promise<CommitInfo>;
  lastFetchAt: number;
  lastFetchError: string | null;
  /** Calls `listener` after each fetch from the remote that succeeds (the publisher's probe). */
  onRemoteReachable(listener: () => void): void;
  status(): RepoStatus;
  /** Settles when the clone exists (and has been fetched once). Throws 'repo-cloning' after `timeoutMs`. */
  ready(timeoutMs?: number): Promise<void>;
  /** Settles when the background upkeep after the last fetch (commit-graph, index) is done (tests, benchmarks). */
  upkeepDone(): Promise<void>;
  /** Stops a clone in progress and any retry (the server is stopping). */
  close(): void;
}

export interface OpenRepoOptions {
  /** Grace for requests while cloning (ms); tests shorten it. */
  cloneGraceMs?: number;
  log?: (line: string) => void;
}

export async function openRepo(dataDir: string, config: RepositoryConfig, opts: OpenRepoOptions = {}): Promise<RepoHandle> {
  const dir = path.join(dataDir, 'repos', config.name);
  const graceMs = opts.cloneGraceMs ?? CLONE_GRACE_MS;
  const log = opts.log ?? (() => {});
  const mode: CloneMode = config.clone ?? 'partial';
  let inflight: Promise<RefreshResult> | null = null;
  let inflightStartedAt = 0;
  let following: Promise<RefreshResult> | null = null;
  let fetchedOnce = false;
  // The trusted policy only changes when a fetch moves the refs it is read from: cached until then
  // (reading it costs three git processes, which matter on the approval path).
  let trustedCache: Promise<TrustedPolicy> | null = null;
  const outboxes = new Map<string, NotesOutbox>();
  const commits = new Map<string, Promise<CommitInfo>>();
  const reachableListeners: Array<() => void> = [];
  const abort = new AbortController();
  let closed = false;

  // ---- the clone
  const cloning: { since: string; progress: CloneProgress | null; lastError: string | null } = { since: new Date().toISOString(), progress: null, lastError: null };
  let cloned = existsSync(path.join(dir, 'HEAD'));
  let isReady = cloned;
  /** Whether the clone is partial; read from it when it existed before this process. */
  let partial: boolean | null = cloned ? null : mode === 'partial';
  let markReady!: () => void;
  const readyPromise = new Promise<void>((resolve) => (markReady = resolve));
  readyPromise.catch(() => {});

  const cloningError = () => {
    const p = cloning.progress;
    const where = p ? ` (${p.phase}: ${p.percent}%, ${p.done.toLocaleString('en')} of ${p.total.toLocaleString('en')})` : '';
    // git's own words stay in status() and the log: they may name paths and hosts.
    const why = cloning.lastError ? '; the last attempt could not reach the remote, and it is tried again' : '';
    return new CountersignError('repo-cloning', `repository "${config.name}" is still being cloned from its remote${where}${why}; try again in a moment`);
  };
  const whenReady = async (): Promise<void> => {
    if (isReady) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(cloningError()), graceMs);
      timer.unref();
    });
    try {
      await Promise.race([readyPromise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };

  // ---- upkeep after fetches: commit-graph, then the reachability index (never on a request's path)
  let upkeep: Promise<void> = Promise.resolve();
  let upkeepQueued = false;
  let indexedTips = '';
  const scheduleUpkeep = () => {
    if (upkeepQueued) return;
    upkeepQueued = true;
    upkeep = upkeep.then(async () => {
      upkeepQueued = false;
      if (closed) return;
      try {
        const tips = (await branchTips(dir)).map((t) => `${t.ref} ${t.id}`).join('\n');
        if (tips === indexedTips) return;
        await writeCommitGraph(dir);
        setReachIndex(dir, await buildReachIndex(dir));
        indexedTips = tips;
      } catch (e) {
        log(`countersign: upkeep of "${config.name}" failed (history queries ask git directly meanwhile): ${(e as Error).message}`);
      }
    });
  };

  const handle: RepoHandle = {
    config,
    dir,
    lastFetchAt: 0,
    lastFetchError: null,
    refresh({ maxAgeMs = FRESH_MS, wait = maxAgeMs === 0 } = {}) {
      if (!cloned) return Promise.resolve({ ok: false, error: cloningError().message });
      const last = (): RefreshResult => (handle.lastFetchError ? { ok: false, error: handle.lastFetchError } : { ok: true });
      // Fresh enough: a fetch that started at or after this moment.
      const since = Date.now() - maxAgeMs;
      let p: Promise<RefreshResult> | null = null;
      if (inflight && inflightStartedAt >= since) p = inflight;
      else if (inflight) {
        // One that started earlier may miss what the caller knows is there (a push it was told
        // of): one more fetch after it, shared by everyone who asks meanwhile.
        p = following ??= inflight.then(() => {
          following = null;
          return startFetch();
        });
      } else if (!fetchedOnce || handle.lastFetchAt < since) p = startFetch();
      if (!p) return Promise.resolve(last());
      if (wait) return p;
      // Nothing fetched yet in this process: the clone may be days old, so give the first fetch a
      // moment (a hung remote must not hang the pages). Otherwise serve the clone as it is.
      if (!fetchedOnce) return Promise.race([p, new Promise<RefreshResult>((r) => setTimeout(() => r(last()), FIRST_FETCH_WAIT_MS).unref())]);
      return Promise.resolve(last());
    },
    onRemoteReachable(listener) {
      reachableListeners.push(listener);
    },
    async fetchCommit(id) {
      if (!cloned) return false;
      const r = await runGit(['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', REMOTE, id], { cwd: dir, allowFailure: true });
      return r.code === 0;
    },
    trusted() {
      return isReady ? trustedNow() : whenReady().then(trustedNow);
    },
    notesRefFor(trusted) {
      const ref = trusted.policy.notesRef;
      if (config.notesRef && config.notesRef !== ref) {
        throw new CountersignError(
          'bad-policy',
          `repository "${config.name}" is configured with notesRef ${config.notesRef} but its trusted policy (${trusted.refName}) says ${ref}; make them agree`,
        );
      }
      return ref;
    },
    commit(id) {
      if (!isReady) return whenReady().then(() => handle.commit(id));
      let p = commits.get(id);
      if (!p) {
        p = present(id).then((here) => {
          if (!here) throw new CountersignError('unknown-commit', `commit ${id} is not in the server's clone of "${config.name}"`);
          return resolveCommit(dir, id);
        });
        commits.set(id, p);
        p.catch(() => commits.delete(id)); // an unknown commit may be fetched later
        if (commits.size > COMMIT_CACHE) commits.delete(commits.keys().next().value as string);
      }
      return p;
    },
    outbox(notesRef) {
      let o = outboxes.get(notesRef);
      if (!o) {
        o = createNotesOutbox(dir, REMOTE, notesRef);
        outboxes.set(notesRef, o);
      }
      if (isReady) return o;
      // A clone still being made has no local notes: nothing to publish, and nothing can be added yet.
      const real = o;
      return {
        add: (entries) => (isReady ? real.add(entries) : whenReady().then(() => real.add(entries))),
        flush: () => (isReady ? real.flush() : Promise.resolve({ pushed: true, attempts: 0, merges: 0 })),
        get stats() {
          return real.stats;
        },
      };
    },
    status() {
      return isReady ? { state: 'ready' } : { state: 'cloning', since: cloning.since, progress: cloning.progress, lastError: cloning.lastError };
    },
    ready(timeoutMs) {
      if (timeoutMs === undefined) return readyPromise;
      return isReady
        ? Promise.resolve()
        : Promise.race([readyPromise, new Promise<never>((_, reject) => setTimeout(() => reject(cloningError()), timeoutMs).unref())]);
    },
    upkeepDone() {
      return upkeep;
    },
    close() {
      closed = true;
      abort.abort();
    },
  };

  /** A full id asked for is in the clone itself: never a lazy fetch of a partial clone (lib/git/clone.ts hasObjectLocally). */
  async function present(id: string): Promise<boolean> {
    if (!FULL_ID_RE.test(id)) return true; // abbreviations and refs resolve locally only
    if (partial === null) partial = await isPartialClone(dir);
    if (!partial) return true;
    if (reachIndexFor(dir)?.reachedBy(id)) return true; // on a branch: here
    return hasObjectLocally(dir, id);
  }

  function trustedNow(): Promise<TrustedPolicy> {
    if (!trustedCache) {
      const p = loadTrustedPolicy(dir, config.policyRef ?? null, { remote: REMOTE });
      trustedCache = p;
      p.catch(() => {
        if (trustedCache === p) trustedCache = null; // errors are not cached
      });
    }
    return trustedCache;
  }

  function startFetch(): Promise<RefreshResult> {
    inflightStartedAt = Date.now();
    inflight = fetchAll();
    return inflight;
  }

  function fetchAll(): Promise<RefreshResult> {
    return (async () => {
      const started = Date.now();
      try {
        await fetchBranches(dir);
        trustedCache = null;
        // Others' signatures (the CLI, other instances) arrive through the remote's notes.
        let notesRef = config.notesRef ?? DEFAULT_NOTES_REF;
        try {
          notesRef = handle.notesRefFor(await trustedNow());
        } catch {
          /* a broken policy is reported where it matters (review, approve) */
        }
        await fetchNotes(dir, REMOTE, notesRef);
        handle.lastFetchError = null;
        scheduleUpkeep();
        for (const l of reachableListeners) l();
        return { ok: true };
      } catch (e) {
        handle.lastFetchError = (e as Error).message;
        return { ok: false, error: handle.lastFetchError };
      } finally {
        handle.lastFetchAt = started;
        fetchedOnce = true;
        inflight = null;
      }
    })();
  }

  if (isReady) {
    // The configured remote may have changed since the clone was made.
    await runGit(['remote', 'set-url', REMOTE, config.remote], { cwd: dir });
    markReady();
    void handle.refresh();
    scheduleUpkeep(); // an index for this process (and a commit-graph for a clone made before it was kept)
  } else {
    void (async () => {
      let delay = CLONE_RETRY_MS;
      while (!closed) {
        try {
          await makeClone(dir, { remote: config.remote, remoteName: REMOTE, mode, signal: abort.signal, onProgress: (p) => (cloning.progress = p) });
          break;
        } catch (e) {
          if (closed) return;
          // Without credentials a URL may carry (https://user:token@host/…).
          cloning.lastError = (e as Error).message.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1');
          cloning.progress = null;
          log(`countersign: cloning "${config.name}" failed, retrying in ${Math.round(delay / 1000)} s: ${cloning.lastError}`);
          await new Promise((r) => setTimeout(r, delay).unref());
          delay = Math.min(delay * 2, CLONE_RETRY_MAX_MS);
        }
      }
      if (closed) return;
      cloned = true;
      // origin/HEAD and the notes come with the first fetch; requests waiting for the clone wait for it too.
      await handle.refresh({ maxAgeMs: 0 });
      isReady = true;
      markReady();
      log(`countersign: cloned "${config.name}" (${mode}) in ${((Date.now() - Date.parse(cloning.since)) / 1000).toFixed(1)} s`);
    })();
  }
  return handle;
}

async function fetchBranches(dir: string): Promise<void> {
  await runGit(['fetch', '--quiet', '--prune', '--no-tags', '--no-write-fetch-head', REMOTE], { cwd: dir });
  // origin/HEAD names the remote's default branch (where the trusted policy is read). Asked of the
  // remote on every fetch (one round trip), so that a renamed default branch is followed at once:
  // the gate never guesses a default (lib/policy/trusted.ts), and a stale origin/HEAD could name a
  // branch that is no longer the protected one.
  await runGit(['remote', 'set-head', REMOTE, '--auto'], { cwd: dir, allowFailure: true });
}

export function repoNotFound(name: string): CountersignError {
  return new CountersignError('not-found', `no repository named ${JSON.stringify(String(name).slice(0, 100))} is configured on this server`);
}
