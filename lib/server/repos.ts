import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_NOTES_REF, type RepositoryConfig } from '../config/config';
import { CountersignError } from '../errors';
import { resolveCommit, type CommitInfo } from '../git/commit';
import { runGit } from '../git/run';
import { createNotesOutbox, type NotesOutbox } from '../notes/outbox';
import { fetchNotes } from '../notes/store';
import { loadTrustedPolicy, type TrustedPolicy } from '../policy/trusted';

/**
 * The server's own clone of each configured repository (`<dataDir>/repos/<name>`, bare, with the
 * remote's branches as refs/remotes/origin/*). Commits, diffs and the trusted policy are read
 * from it; notes are written to it first (the durable outbox) and then pushed.
 */
export const REMOTE = 'origin';
/** Reviews are built from a clone at most this old; older → fetch first. */
export const FRESH_MS = 3000;
const COMMIT_CACHE = 1000;

export interface RefreshResult {
  ok: boolean;
  error?: string;
}

export interface RepoHandle {
  config: RepositoryConfig;
  dir: string;
  /** Fetches branches and notes if the last fetch is older than maxAgeMs; concurrent callers share one fetch. */
  refresh(opts?: { maxAgeMs?: number }): Promise<RefreshResult>;
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
}

export async function openRepo(dataDir: string, config: RepositoryConfig): Promise<RepoHandle> {
  const dir = path.join(dataDir, 'repos', config.name);
  await ensureClone(dir, config.remote);
  let inflight: Promise<RefreshResult> | null = null;
  // The trusted policy only changes when a fetch moves the refs it is read from: cached until then
  // (reading it costs three git processes, which matter on the approval path).
  let trustedCache: Promise<TrustedPolicy> | null = null;
  const outboxes = new Map<string, NotesOutbox>();
  const commits = new Map<string, Promise<CommitInfo>>();
  const reachableListeners: Array<() => void> = [];
  const handle: RepoHandle = {
    config,
    dir,
    lastFetchAt: 0,
    lastFetchError: null,
    refresh({ maxAgeMs = FRESH_MS } = {}) {
      if (inflight) return inflight;
      if (Date.now() - handle.lastFetchAt < maxAgeMs) {
        return Promise.resolve(handle.lastFetchError ? { ok: false, error: handle.lastFetchError } : { ok: true });
      }
      inflight = (async () => {
        const started = Date.now();
        try {
          await fetchBranches(dir);
          trustedCache = null;
          // Others' signatures (the CLI, other instances) arrive through the remote's notes.
          let notesRef = config.notesRef ?? DEFAULT_NOTES_REF;
          try {
            notesRef = handle.notesRefFor(await handle.trusted());
          } catch {
            /* a broken policy is reported where it matters (review, approve) */
          }
          await fetchNotes(dir, REMOTE, notesRef);
          handle.lastFetchError = null;
          for (const l of reachableListeners) l();
          return { ok: true };
        } catch (e) {
          handle.lastFetchError = (e as Error).message;
          return { ok: false, error: handle.lastFetchError };
        } finally {
          handle.lastFetchAt = started;
          inflight = null;
        }
      })();
      return inflight;
    },
    onRemoteReachable(listener) {
      reachableListeners.push(listener);
    },
    async fetchCommit(id) {
      const r = await runGit(['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', REMOTE, id], { cwd: dir, allowFailure: true });
      return r.code === 0;
    },
    trusted() {
      if (!trustedCache) {
        const p = loadTrustedPolicy(dir, config.policyRef ?? null, { remote: REMOTE });
        trustedCache = p;
        p.catch(() => {
          if (trustedCache === p) trustedCache = null; // errors are not cached
        });
      }
      return trustedCache;
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
      let p = commits.get(id);
      if (!p) {
        p = resolveCommit(dir, id);
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
      return o;
    },
  };
  await handle.refresh({ maxAgeMs: 0 });
  return handle;
}

async function ensureClone(dir: string, remote: string): Promise<void> {
  if (existsSync(path.join(dir, 'HEAD'))) {
    // The configured remote may have changed since the clone was made.
    await runGit(['remote', 'set-url', REMOTE, remote], { cwd: dir });
    return;
  }
  await mkdir(path.dirname(dir), { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await runGit(['init', '--quiet', '--bare', tmp], { cwd: path.dirname(dir) });
  await runGit(['remote', 'add', REMOTE, remote], { cwd: tmp });
  // Branches as remote-tracking refs (the trusted policy is read from origin/<default>); notes are
  // fetched separately into a side ref and union-merged (lib/notes), never into the live ref.
  await runGit(['config', '--replace-all', `remote.${REMOTE}.fetch`, `+refs/heads/*:refs/remotes/${REMOTE}/*`], { cwd: tmp });
  await rename(tmp, dir);
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
