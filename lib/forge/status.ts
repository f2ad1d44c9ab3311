import { isCountersignError } from '../errors';
import { evaluateCommit } from '../gate/evaluate';
import type { App } from '../server/app';
import { evaluateChange } from '../server/change';
import { changePath, reviewPath } from '../ui/commit-id';
import type { StatusState, WantedStatus } from './outbox';
import type { PullRequestRow } from './store';

/**
 * The commit status of a pull request's head, judged by the same code as its change page
 * (lib/server/change.ts evaluateChange: only approvals of the whole change count, the change's
 * authors and committers excluded): `pending` "1 of 2 signatures", `success` once the policy is
 * met, `failure` when it cannot be met whatever the approvals (e.g. a required commit signature
 * is missing), `error` when the policy cannot be read. It links to the review page.
 */
export async function pullRequestStatus(app: App, pr: Pick<PullRequestRow, 'repo' | 'head' | 'base' | 'baseRef'>): Promise<WantedStatus> {
  const repo = app.repo(pr.repo);
  const path = pr.base ? changePath(pr.repo, pr.head, pr.base, pr.baseRef) : reviewPath(pr.repo, pr.head);
  const out = (state: StatusState, description: string): WantedStatus => ({ repo: pr.repo, sha: pr.head, state, description, targetUrl: `${app.config.publicUrl}${path}` });
  let trusted;
  try {
    trusted = await repo.trusted();
  } catch (e) {
    if (!isCountersignError(e)) throw e;
    return out('error', `the repository's policy cannot be read: ${e.message}`);
  }
  const notesRef = repo.notesRefFor(trusted);
  const head = await repo.commit(pr.head);
  const v = pr.base
    ? (await evaluateChange(repo, trusted, notesRef, head, pr.base)).verdict
    : await evaluateCommit({ repoDir: repo.dir, commit: head.id, trusted, notesRef });
  return out(...describeVerdict(v));
}

/** The state and the short text the forge shows beside the check. */
export function describeVerdict(v: { count: number; threshold: number; met: boolean; failures: string[] }): [StatusState, string] {
  const counted = `${v.count} of ${v.threshold} signature${v.threshold === 1 ? '' : 's'}`;
  if (v.failures.length > 0) return ['failure', `${counted}; ${v.failures[0]}`];
  if (v.met) return ['success', `${counted}: policy met`];
  return ['pending', counted];
}
