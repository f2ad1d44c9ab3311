import type { ForgeConfig } from '../config/forge';
import { CountersignError, isCountersignError } from '../errors';
import type { App } from '../server/app';
import { resolveChange } from '../server/change';
import { createRequest } from '../server/requests';
import { deletePullRequestRequests } from '../store/requests';
import type { PullRequestPayload } from './payload';
import { savePullRequest, setPullRequestState } from './store';

/**
 * A pull request's life as review requests:
 * - opened, reopened, synchronize (a new push), ready_for_review: a request for the change from the
 *   pull request's base branch to its head, in every reviewer's inbox with its number, title and
 *   link; a request for an earlier head of the same pull request leaves the inbox (its approvals
 *   stay in git and the inbox names them).
 * - closed (merged or not): its requests leave the inbox.
 * - Drafts are not asked for review: a draft gets its commit status (so the check shows on the
 *   forge) but no request until it is marked ready; converted_to_draft takes it out of the inbox.
 * Every other action changes nothing.
 */
export type PullRequestOutcome = 'requested' | 'draft' | 'closed' | 'ignored';

const REVIEW_ACTIONS = new Set(['opened', 'reopened', 'synchronize', 'ready_for_review']);

export async function onPullRequest(
  app: App,
  repoName: string,
  forge: ForgeConfig,
  p: PullRequestPayload,
): Promise<{ outcome: PullRequestOutcome; head?: string }> {
  // Gitea and Forgejo spell a new push "synchronized".
  const action = p.action === 'synchronized' ? 'synchronize' : p.action;
  const pr = p.pull_request;
  if (action === 'closed') {
    await setPullRequestState(app.db, repoName, pr.number, { open: false });
    await deletePullRequestRequests(app.db, repoName, pr.number);
    return { outcome: 'closed' };
  }
  if (action === 'converted_to_draft') {
    await setPullRequestState(app.db, repoName, pr.number, { draft: true });
    await deletePullRequestRequests(app.db, repoName, pr.number);
    return { outcome: 'draft' };
  }
  if (!REVIEW_ACTIONS.has(action)) return { outcome: 'ignored' };

  const repo = app.repo(repoName);
  const head = pr.head.sha;
  // The push that caused this delivery has just happened: fetch now, not from a cache of 3 s. A
  // fork's head is on no branch of the repository: its pull/N/head ref has it (GitHub, Forgejo, Gitea).
  await repo.refresh({ maxAgeMs: 0 });
  const known = await repo.commit(head).then(
    () => true,
    () => false,
  );
  if (!known) await repo.fetchCommit(`refs/pull/${pr.number}/head`);
  const draft = pr.draft === true;
  const link = { number: pr.number, title: pr.title, url: pr.html_url };
  let base: string | null;
  try {
    base = (await resolveChange(repo, head, pr.base.ref, { fetchOnDemand: true })).base;
  } catch (e) {
    // An empty change (the head is already on the base branch) has nothing to review.
    if (isCountersignError(e) && e.code === 'bad-input') {
      throw new CountersignError('bad-input', `pull request #${pr.number}: ${e.message}`);
    }
    throw e;
  }
  await savePullRequest(app.db, { repo: repoName, number: pr.number, head, base, baseRef: pr.base.ref, title: pr.title, url: pr.html_url, draft, open: true });
  if (draft) {
    await deletePullRequestRequests(app.db, repoName, pr.number);
    return { outcome: 'draft', head };
  }
  await createRequest(app, {
    repo: repoName,
    commit: head,
    base: pr.base.ref,
    requestedBy: `${forge.type}:${p.sender?.login ?? 'pull request'}`,
    pr: link,
  });
  // A new push replaces the request for the earlier head.
  await deletePullRequestRequests(app.db, repoName, pr.number, head);
  return { outcome: 'requested', head };
}
