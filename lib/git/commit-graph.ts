import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { runGit } from './run';

/**
 * The commit-graph of a clone, with changed-path Bloom filters: generation numbers let history
 * walks stop early, commits are read without inflating objects, and `log -- <path>` skips
 * commits that did not touch the path. Written as a split chain (`--split`): each write adds a
 * small layer for the commits that arrived since the last one and merges layers now and then,
 * so its cost follows what a fetch brought, not the size of the history.
 */
export async function writeCommitGraph(repoDir: string): Promise<void> {
  await runGit(['commit-graph', 'write', '--reachable', '--changed-paths', '--split', '--no-progress'], { cwd: repoDir });
}

/** The commit-graph files of a clone: the chain's layers (empty when there is none). */
export function commitGraphLayers(repoDir: string): string[] {
  const chain = path.join(repoDir, 'objects', 'info', 'commit-graphs', 'commit-graph-chain');
  if (!existsSync(chain)) return [];
  return readFileSync(chain, 'utf8').split('\n').filter(Boolean);
}

/**
 * What the commit-graph chain of a clone holds: its layers, the commits in them, and whether
 * every layer carries changed-path Bloom filters (the BIDX/BDAT chunks). Read from the files
 * (format: git's Documentation/technical/commit-graph-format.txt), for tests and benchmarks.
 */
export function commitGraphStats(repoDir: string): { layers: number; commits: number; bloom: boolean } {
  const layers = commitGraphLayers(repoDir);
  let commits = 0;
  let bloom = layers.length > 0;
  for (const hash of layers) {
    const file = readFileSync(path.join(repoDir, 'objects', 'info', 'commit-graphs', `graph-${hash}.graph`));
    if (file.toString('latin1', 0, 4) !== 'CGPH') throw new Error(`graph-${hash}.graph is not a commit-graph file`);
    const chunks = new Map<string, number>();
    for (let i = 0; i < file[6]; i++) chunks.set(file.toString('latin1', 8 + i * 12, 12 + i * 12), Number(file.readBigUInt64BE(12 + i * 12)));
    const fanout = chunks.get('OIDF');
    if (fanout === undefined) throw new Error(`graph-${hash}.graph has no OID fanout`);
    commits += file.readUInt32BE(fanout + 255 * 4);
    bloom &&= chunks.has('BIDX') && chunks.has('BDAT');
  }
  return { layers: layers.length, commits, bloom };
}
