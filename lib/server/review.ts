import { branchesContaining, type CommitInfo } from '../git/commit';
import { commitDiff } from '../git/diff';
import { evaluateCommit, type CommitVerdict } from '../gate/evaluate';
import { parseNoteLine } from '../notes/line';
import { formatTime } from '../statement/fields';
import { serializeStatement } from '../statement/statement';
import type { TrustedPolicy } from '../policy/trusted';
import { listCredentials, type CredentialRow } from '../store/credentials';
import type { App } from './app';
import { resolveReviewCommit } from './commits';
import { PAGE_BUDGET, pageDiffView, pagePatchFiles, toDiffView } from './diff-view';
import { REMOTE, type RepoHandle } from './repos';
import { keyTrusted, linesBy } from './trust';
import type { PolicyStateView, ReviewView, SignatureLineView, UserView } from './types';

/** Diffs beyond this many bytes of patch are cut (and the cut counted). */
export const REVIEW_DIFF_MAX_BYTES = 1024 * 1024;
export const REVIEW_DIFF_MAX_LINES = 5000;

/**
 * How much of the diff a review carries: `full` (the JSON API, the offline copy) up to the limits
 * above; `page` (the review page) the file list and a first part within PAGE_BUDGET, the rest on
 * request from the diff API.
 */
export type DiffMode = 'full' | 'page';

/** The git diff options for a mode. */
export function diffOptions(mode: DiffMode) {
  return mode === 'page'
    ? { maxBytes: PAGE_BUDGET.patchBytes, maxLines: Infinity, maxFiles: Infinity, patchFiles: pagePatchFiles }
    : { maxBytes: REVIEW_DIFF_MAX_BYTES, maxLines: REVIEW_DIFF_MAX_LINES };
}

export function policyState(v: Pick<CommitVerdict, 'threshold' | 'count' | 'met' | 'signers' | 'excludedAuthor'>): PolicyStateView {
  return { threshold: v.threshold, count: v.count, met: v.met, signers: v.signers, ...(v.excludedAuthor ? { excludedAuthor: v.excludedAuthor } : {}) };
}

export function signatureViews<V extends Pick<CommitVerdict, 'lines'>>(v: V): SignatureLineView[] {
  return v.lines.map((l) => ({
    line: l.line,
    signer: l.signer,
    verdict: l.verdict,
    time: l.time,
    ok: l.ok,
    ...(l.reason ? { reason: l.reason } : {}),
    ...(l.fingerprint ? { fingerprint: l.fingerprint } : {}),
    counted: l.counted,
    status: l.status,
  }));
}

/** The earliest signing time among note lines (ISO, as written in the line), or null. */
function earliestTime(lines: string[]): string | null {
  const times = lines.map((l) => parseNoteLine(l).time).sort();
  return times[0] ?? null;
}

/** The remote's branch names among the refs that contain a commit (its `HEAD` symref left out). */
function remoteBranchNames(branches: Array<{ ref: string }>): string[] {
  const prefix = `refs/remotes/${REMOTE}/`;
  return branches
    .filter((b) => b.ref.startsWith(prefix))
    .map((b) => b.ref.slice(prefix.length))
    .filter((b) => b !== 'HEAD');
}

/** What the review screen shows of the commit itself: the same for a single commit and for a change's head. */
export function commitFields(repoName: string, commit: CommitInfo, branches: Array<{ ref: string }>) {
  const remoteBranches = remoteBranchNames(branches);
  return {
    repo: repoName,
    commit: commit.id,
    shortId: commit.id.slice(0, 12),
    tree: commit.tree,
    objectFormat: commit.objectFormat,
    title: commit.title,
    message: commit.message,
    author: { name: commit.author.name, email: commit.author.email, date: commit.author.date },
    committer: { name: commit.committer.name, email: commit.committer.email, date: commit.committer.date },
    parents: commit.parents,
    commitSignature: commit.gpgsig ? ('present' as const) : ('none' as const),
    reachable: remoteBranches.length > 0,
    branches: remoteBranches,
  };
}

/** Where the viewer stands on the reviewed commit: their own lines (`mine`), their keys' trust, publishing. */
export function viewerFields(app: App, repo: RepoHandle, trusted: TrustedPolicy, viewer: UserView | null, creds: CredentialRow[], mine: Array<{ line: string }>) {
  return {
    namespace: trusted.policy.namespace,
    viewerHasSigned: mine.length > 0,
    viewerSignedAt: earliestTime(mine.map((m) => m.line)),
    viewerKeyTrusted: viewer && creds.length > 0 ? creds.some((c) => keyTrusted(trusted, viewer.email, c.sshKey)) : null,
    pendingPublish: app.publisher.pending(repo.config.name),
  };
}

/**
 * Everything the review screen shows for one commit: the commit as recorded, its diff, who has
 * signed and whether the policy is met (trusted policy from the remote's default branch), where
 * it is reachable from, and the exact statement this viewer would sign.
 */
export async function getReview(app: App, repoName: string, commitId: string, viewer: UserView | null, opts: { diff?: DiffMode } = {}): Promise<ReviewView> {
  const mode = opts.diff ?? 'full';
  const repo = app.repo(repoName);
  // Only a signed-in viewer makes the server look on the remote for a commit its clone lacks.
  const commit = await resolveReviewCommit(repo, commitId, { fetchOnDemand: viewer !== null });
  const trusted = await repo.trusted();
  const notesRef = repo.notesRefFor(trusted);
  const [verdict, diff, branches, creds] = await Promise.all([
    evaluateCommit({ repoDir: repo.dir, commit: commit.id, trusted, notesRef }),
    commitDiff(repo.dir, commit.id, diffOptions(mode)),
    branchesContaining(repo.dir, commit.id),
    viewer ? listCredentials(app.db, viewer.id) : Promise.resolve([]),
  ]);
  const policy = trusted.policy;
  const ctx = { repository: policy.repository, commit: commit.id, tree: commit.tree, namespace: policy.namespace };
  const mine = viewer ? linesBy(verdict.lines.map((l) => l.line), ctx, viewer.email, creds, 'approve') : [];
  return {
    ...commitFields(repo.config.name, commit, branches),
    signatures: signatureViews(verdict),
    policy: policyState(verdict),
    statementPreview: viewer
      ? serializeStatement({
          repository: policy.repository,
          commit: commit.id,
          tree: commit.tree,
          verdict: 'approve',
          signer: viewer.email,
          time: formatTime(new Date()),
        })
      : null,
    ...viewerFields(app, repo, trusted, viewer, creds, mine),
    diff: mode === 'page' ? pageDiffView(diff) : toDiffView(diff),
  };
}

/** The bot view: `{repo, commit, tree, policy, signatures}` — what GET …/signatures returns. */
export async function commitSignatures(app: App, repoName: string, commitId: string) {
  const repo = app.repo(repoName);
  const commit = await resolveReviewCommit(repo, commitId);
  const trusted = await repo.trusted();
  const verdict = await evaluateCommit({ repoDir: repo.dir, commit: commit.id, trusted, notesRef: repo.notesRefFor(trusted) });
  return { repo: repo.config.name, commit: commit.id, tree: commit.tree, policy: policyState(verdict), signatures: signatureViews(verdict) };
}
