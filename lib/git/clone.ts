import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { runGit } from './run';

/**
 * The server's clone of a repository: bare, the remote's branches as refs/remotes/<remote>/*.
 *
 * `partial` (the default) fetches commits and trees only (`--filter=blob:none`), with the remote
 * recorded as a promisor: file contents are fetched by git when something reads them (a diff, a
 * policy file), once, then kept. History questions need commits only, so a repository of any
 * age clones in a fraction of the time and space. `full` fetches everything up front (a remote
 * that does not support filters gets a full clone either way: git says so and carries on).
 */
export type CloneMode = 'partial' | 'full';

export interface CloneProgress {
  /** git's phase: "Counting objects", "Receiving objects", "Resolving deltas", … */
  phase: string;
  percent: number;
  done: number;
  total: number;
}

const PROGRESS_RE = /(?:remote: )?([A-Z][A-Za-z ]+):\s+(\d{1,3})% \((\d+)\/(\d+)\)/g;

/** The last progress report in a chunk of `git fetch --progress` output, or null. */
export function parseProgress(chunk: string): CloneProgress | null {
  let last: CloneProgress | null = null;
  for (const m of chunk.matchAll(PROGRESS_RE)) {
    last = { phase: m[1].trim(), percent: Number(m[2]), done: Number(m[3]), total: Number(m[4]) };
  }
  return last;
}

/**
 * Makes the clone at `dir` from `remote`: built in a temporary folder beside it and renamed into
 * place when the fetch is complete, so `dir` exists only as a whole clone (an interrupted clone
 * leaves a temporary folder that the next attempt removes).
 */
export async function makeClone(
  dir: string,
  opts: { remote: string; remoteName: string; mode: CloneMode; onProgress?: (p: CloneProgress) => void; signal?: AbortSignal },
): Promise<void> {
  const { remoteName: name } = opts;
  await mkdir(path.dirname(dir), { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  try {
    await runGit(['init', '--quiet', '--bare', tmp], { cwd: path.dirname(dir) });
    const git = (args: string[]) => runGit(args, { cwd: tmp });
    await git(['remote', 'add', name, opts.remote]);
    // Branches as remote-tracking refs (the trusted policy is read from origin/<default>); notes are
    // fetched separately into a side ref and union-merged (lib/notes), never into the live ref.
    await git(['config', '--replace-all', `remote.${name}.fetch`, `+refs/heads/*:refs/remotes/${name}/*`]);
    if (opts.mode === 'partial') {
      // What `git clone --filter=blob:none` records: later reads of a missing blob ask this remote.
      await git(['config', 'core.repositoryformatversion', '1']);
      await git(['config', 'extensions.partialClone', name]);
      await git(['config', `remote.${name}.promisor`, 'true']);
      await git(['config', `remote.${name}.partialclonefilter`, 'blob:none']);
    }
    await runGit(['fetch', '--progress', '--prune', '--no-tags', '--no-write-fetch-head', ...(opts.mode === 'partial' ? ['--filter=blob:none'] : []), name], {
      cwd: tmp,
      signal: opts.signal,
      onStderr: (chunk) => {
        const p = parseProgress(chunk);
        if (p) opts.onProgress?.(p);
      },
    });
    // origin/HEAD: the remote's default branch, where the trusted policy is read.
    await runGit(['remote', 'set-head', name, '--auto'], { cwd: tmp, allowFailure: true });
    await rename(tmp, dir);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true }).catch(() => {});
    throw e;
  }
}

/** Whether the clone at `dir` is partial (its remote is a promisor). */
export async function isPartialClone(dir: string): Promise<boolean> {
  const r = await runGit(['config', '--get', 'extensions.partialClone'], { cwd: dir, allowFailure: true });
  return r.code === 0 && r.stdout.trim() !== '';
}

/**
 * Whether the object `id` (a full id) is in the clone itself. In a partial clone, reading a
 * missing object makes git fetch it from the promisor remote — for any id, reachable or not — so
 * ids that come from requests are checked here first: only the on-demand rules
 * (lib/server/commits.ts) may make the server fetch a commit. `rev-list --missing` never fetches.
 */
export async function hasObjectLocally(dir: string, id: string): Promise<boolean> {
  const r = await runGit(['rev-list', '--missing=allow-any', '--no-walk', '--end-of-options', id], { cwd: dir, allowFailure: true });
  return r.code === 0;
}
