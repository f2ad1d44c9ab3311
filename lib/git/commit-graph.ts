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
