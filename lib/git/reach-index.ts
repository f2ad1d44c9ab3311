import path from 'node:path';
import { runGit } from './run';

/**
 * Which branch tips reach which commits, answered without walking history.
 *
 * "Which branches contain C" (`for-each-ref --contains`) and "is C an ancestor of the trusted
 * tip" (`merge-base --is-ancestor`) walk from each tip down to C: on a 100k-commit history that
 * is a third of a second for an old commit, even with a commit-graph (generation numbers only cut
 * the walk short for commits *newer* than C). The server asks these on every review page, so it
 * keeps this index per clone instead: every commit reachable from the branch tips at build time,
 * each with the set of those tips that reach it (a bit set, interned: most commits share a
 * handful of sets). A lookup is a binary search.
 *
 * The index is exact for the tips it was built from, whatever happened since: a commit not in it
 * is reachable from none of them. A branch whose tip is not one of them (it moved after the
 * build) is asked of git, as before — so answers never go stale, they only get slower until the
 * next build, which the server runs in the background after a fetch moves branches.
 */
export interface ReachIndex {
  /** Tip commit id → its bit in the sets. */
  readonly tips: ReadonlyMap<string, number>;
  /** Commits indexed. */
  readonly size: number;
  /** The set of tips (bits) that reach `commit`, or 0n when none does. */
  reachedBy(commit: string): bigint;
}

const ID_RE = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** Branch refs (local and remote-tracking) with their tips; symbolic refs (origin/HEAD) left out. */
export async function branchTips(repoDir: string): Promise<Array<{ ref: string; name: string; id: string }>> {
  const { stdout } = await runGit(['for-each-ref', '--format=%(objectname)%00%(refname)%00%(refname:short)%00%(symref)', 'refs/heads', 'refs/remotes'], {
    cwd: repoDir,
  });
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\0'))
    .filter(([, , , symref]) => !symref)
    .map(([id, ref, name]) => ({ id, ref, name }));
}

/** Builds the index for the current branch tips: one `rev-list --topo-order --parents` over them. */
export async function buildReachIndex(repoDir: string): Promise<ReachIndex> {
  const tipIds = [...new Set((await branchTips(repoDir)).map((t) => t.id))].sort();
  const tips = new Map(tipIds.map((id, i) => [id, i]));
  if (tipIds.length === 0) return emptyIndex(tips);
  // Topological order shows every commit after all of its children: a commit's set is complete
  // when it is reached, and is passed on to its parents.
  const { stdout } = await runGit(['rev-list', '--topo-order', '--parents', '--stdin'], { cwd: repoDir, input: tipIds.join('\n') + '\n' });
  const sets: bigint[] = [];
  const interned = new Map<bigint, number>();
  const intern = (s: bigint): number => {
    let i = interned.get(s);
    if (i === undefined) {
      i = sets.length;
      sets.push(s);
      interned.set(s, i);
    }
    return i;
  };
  const unions = new Map<number, number>();
  const union = (a: number, b: number): number => {
    if (a === b) return a;
    const key = a < b ? a * 0x100000 + b : b * 0x100000 + a;
    let u = unions.get(key);
    if (u === undefined) {
      u = intern(sets[a] | sets[b]);
      unions.set(key, u);
    }
    return u;
  };
  const setOf = new Map<string, number>();
  for (const [id, bit] of tips) setOf.set(id, intern(1n << BigInt(bit)));
  let pos = 0;
  while (pos < stdout.length) {
    let end = stdout.indexOf('\n', pos);
    if (end < 0) end = stdout.length;
    const ids = stdout.slice(pos, end).split(' ');
    pos = end + 1;
    const s = setOf.get(ids[0]);
    if (s === undefined) continue; // cannot happen: every listed commit is a tip or has a listed child
    for (let i = 1; i < ids.length; i++) {
      const cur = setOf.get(ids[i]);
      setOf.set(ids[i], cur === undefined ? s : union(cur, s));
    }
  }
  return compact(tips, setOf, sets);
}

function emptyIndex(tips: Map<string, number>): ReachIndex {
  return { tips, size: 0, reachedBy: () => 0n };
}

/** Ids as sorted binary keys plus one set number each: ~24 bytes a commit instead of a Map entry's ~100. */
function compact(tips: Map<string, number>, setOf: Map<string, number>, sets: bigint[]): ReachIndex {
  const ids = [...setOf.keys()].sort();
  const width = ids.length ? ids[0].length / 2 : 20;
  const keys = Buffer.alloc(ids.length * width);
  const setIds = new Uint32Array(ids.length);
  ids.forEach((id, i) => {
    keys.write(id, i * width, 'hex');
    setIds[i] = setOf.get(id)!;
  });
  const find = (commit: string): number => {
    if (!ID_RE.test(commit) || commit.length !== width * 2) return -1;
    const key = Buffer.from(commit, 'hex');
    let lo = 0;
    let hi = ids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = keys.compare(key, 0, width, mid * width, (mid + 1) * width);
      if (c === 0) return mid;
      if (c > 0) hi = mid - 1;
      else lo = mid + 1;
    }
    return -1;
  };
  return {
    tips,
    size: ids.length,
    reachedBy(commit) {
      const i = find(commit);
      return i < 0 ? 0n : sets[setIds[i]];
    },
  };
}

// ---------------------------------------------------------------- the server's registry

/** Indexes the server keeps for its clones (the CLI registers none and always asks git). */
const registry = new Map<string, ReachIndex>();

export function setReachIndex(repoDir: string, index: ReachIndex | null): void {
  if (index) registry.set(path.resolve(repoDir), index);
  else registry.delete(path.resolve(repoDir));
}

export function reachIndexFor(repoDir: string): ReachIndex | null {
  return registry.get(path.resolve(repoDir)) ?? null;
}

/**
 * `ancestor` is `descendant` or one of its ancestors, from the index when `descendant` is one of
 * its tips (both full ids); null when the index cannot tell (then ask git).
 */
export function indexedIsAncestor(repoDir: string, ancestor: string, descendant: string): boolean | null {
  const index = reachIndexFor(repoDir);
  if (!index) return null;
  const bit = index.tips.get(descendant);
  if (bit === undefined || !ID_RE.test(ancestor)) return null;
  return ((index.reachedBy(ancestor) >> BigInt(bit)) & 1n) === 1n;
}

/**
 * Branches whose history contains `commit` (a full id), sorted by ref: from the index for every
 * branch whose tip it knows, from one `for-each-ref --contains` over the others. Null without an index.
 */
export async function indexedBranchesContaining(repoDir: string, commit: string): Promise<Array<{ ref: string; name: string }> | null> {
  const index = reachIndexFor(repoDir);
  if (!index) return null;
  const reached = index.reachedBy(commit);
  const found: Array<{ ref: string; name: string }> = [];
  const ask: string[] = [];
  for (const t of await branchTips(repoDir)) {
    const bit = index.tips.get(t.id);
    if (bit === undefined) ask.push(t.ref);
    else if ((reached >> BigInt(bit)) & 1n) found.push({ ref: t.ref, name: t.name });
  }
  if (ask.length > 0) {
    const { stdout } = await runGit(['for-each-ref', `--contains=${commit}`, '--format=%(refname)%00%(refname:short)', ...ask], { cwd: repoDir });
    for (const l of stdout.split('\n').filter(Boolean)) {
      const [ref, name] = l.split('\0');
      found.push({ ref, name });
    }
  }
  return found.sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
}
