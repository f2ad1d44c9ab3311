import { CountersignError, isCountersignError } from '../errors';
import { branchesContaining, type CommitInfo } from '../git/commit';
import { changeIds, countChange, isAncestor, listChange, mergeBase, resolveRevision } from '../git/change';
import { changeDiff } from '../git/diff';
import { evaluateLines, governingPolicy, type LinesVerdict } from '../gate/evaluate';
import { exclusionsForCommits } from '../gate/exclusions';
import { lineBase, parseNoteLine } from '../notes/line';
import { readNoteLines } from '../notes/store';
import type { TrustedPolicy } from '../policy/trusted';
import { formatTime } from '../statement/fields';
import { serializeStatement } from '../statement/statement';
import { listCredentials } from '../store/credentials';
import type { App } from './app';
import { resolveReviewCommit, type ResolveOptions } from './commits';
import { pageDiffView, toDiffView } from './diff-view';
import { REMOTE, type RepoHandle } from './repos';
import { commitFields, diffOptions, getReview, policyState, signatureViews, viewerFields, type DiffMode } from './review';
import { linesBy } from './trust';
import type { ChangeView, ReviewView, SignatureLineView, UserView } from './types';

/**
 * Reviewing a change: a head H against a base B, where B is the merge-base of what the link
 * named (a branch, an id) and H. The page, the statement and the note line all name that one
 * fixed B (a full id), so what was shown is what is signed even if the branch moves afterwards.
 */

/** A change with more commits than this is refused in the app (review it with `countersign sign --base`). */
export const CHANGE_MAX_COMMITS = 2000;
/** Commits listed on the page at most (the count says how many there are). */
export const CHANGE_MAX_LISTED = 250;

/**
 * A commit named in a review link: a full id (fetched from the remote if the clone lacks it), an
 * abbreviated id or a branch of the remote. `exact` is false when the link should be redirected
 * to the full id.
 */
export async function resolveReviewRevision(repo: RepoHandle, rev: string, opts: ResolveOptions = {}): Promise<{ commit: CommitInfo; exact: boolean }> {
  if (typeof rev === 'string' && /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(rev)) return { commit: await resolveReviewCommit(repo, rev, opts), exact: true };
  const r = await resolveName(repo, rev, opts);
  return { commit: await resolveReviewCommit(repo, r.id), exact: false };
}

/**
 * A name (a branch, an abbreviated id) can move or appear with a push: it is read after a
 * fresh-enough fetch, not from the clone as it is (stale-while-revalidate is for full ids), and one
 * the clone does not know is looked for with one more fetch where `fetchOnDemand` allows.
 */
async function resolveName(repo: RepoHandle, rev: string, opts: ResolveOptions): Promise<Awaited<ReturnType<typeof resolveRevision>>> {
  await repo.refresh({ wait: true });
  try {
    return await resolveRevision(repo.dir, rev, REMOTE);
  } catch (e) {
    if (!opts.fetchOnDemand || !isCountersignError(e) || e.code !== 'unknown-commit') throw e;
  }
  await repo.refresh({ maxAgeMs: 0 });
  return resolveRevision(repo.dir, rev, REMOTE);
}

/** What a base names in the repository (a commit it knows), or a 4xx error that says what to give instead. */
async function resolveBase(repo: RepoHandle, rev: string, opts: ResolveOptions): Promise<{ id: string; branch: string | null }> {
  try {
    if (/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(rev)) return { id: (await resolveReviewCommit(repo, rev, opts)).id, branch: null };
    const r = await resolveName(repo, rev, opts);
    return { id: r.id, branch: r.kind === 'branch' ? rev : null };
  } catch (e) {
    if (isCountersignError(e) && (e.code === 'unknown-commit' || e.code === 'bad-input')) {
      throw new CountersignError('unknown-commit', `base: ${e.message}`);
    }
    throw e;
  }
}

export interface ResolvedChange {
  head: CommitInfo;
  /** merge-base(requested base, head), full id. */
  base: string;
  /** The branch the base was named by, if it was. */
  baseName: string | null;
}

/**
 * A change as a link or a request names it: head and base each a full or abbreviated id or a
 * branch name. Refused with a 4xx when the base is unknown, shares no history with the head, or
 * already contains it (nothing to review).
 */
export async function resolveChange(repo: RepoHandle, headRev: string, baseRev: string, opts: ResolveOptions = {}): Promise<ResolvedChange> {
  const { commit: head } = await resolveReviewRevision(repo, headRev, opts);
  const named = await resolveBase(repo, baseRev, opts);
  const base = await mergeBase(repo.dir, named.id, head.id);
  if (base === null) {
    throw new CountersignError('bad-input', `base ${JSON.stringify(baseRev)} and commit ${head.id.slice(0, 12)} share no history: there is no change between them to review`);
  }
  if (base === head.id) {
    throw new CountersignError(
      'bad-input',
      `commit ${head.id.slice(0, 12)} is already contained in base ${JSON.stringify(baseRev)}: the change is empty; review the commit on its own instead`,
    );
  }
  return { head, base, baseName: named.branch };
}

/**
 * For an approval: the base a statement names must be a commit of the repository that is an
 * ancestor of the head, and not the head itself. Nothing is recomputed that a moving branch could
 * change: the base is the one the reviewer was shown.
 */
export async function checkChangeBase(repo: RepoHandle, head: string, base: string): Promise<void> {
  if (!/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(base)) {
    throw new CountersignError('bad-input', 'base must be a full commit id (as the change page names it)');
  }
  if (base.length !== head.length) throw new CountersignError('bad-input', 'base and commit ids use different object formats');
  try {
    await repo.commit(base);
  } catch (e) {
    if (isCountersignError(e) && e.code === 'unknown-commit') {
      throw new CountersignError('unknown-commit', `base ${base} is not in repository "${repo.config.name}"; nothing was signed`);
    }
    throw e;
  }
  if (base === head || !(await isAncestor(repo.dir, base, head))) {
    throw new CountersignError('bad-input', `base ${base.slice(0, 12)} is not an ancestor of ${head.slice(0, 12)}: that is not a change to approve; nothing was signed`);
  }
}

/** Does an approval whose effective base is `lineBase` cover the change from `base`? (It saw all of it.) */
async function covers(repoDir: string, lb: string | null, base: string, memo: Map<string, Promise<boolean>>): Promise<boolean> {
  if (lb === null) return true; // a root commit approved as a whole: its whole tree
  if (lb === base) return true;
  let p = memo.get(lb);
  if (!p) {
    p = isAncestor(repoDir, lb, base).catch(() => false);
    memo.set(lb, p);
  }
  return p;
}

export interface ChangeVerdict {
  /** The policy as it applies to this change: only lines that cover it count. */
  verdict: LinesVerdict;
  signatures: SignatureLineView[];
  /** The lines that approve this change (for "have I approved it?"). */
  covering: string[];
}

/**
 * The head's note lines judged for the change from `base`: a line counts only if its base is
 * `base` or an ancestor of it (its signer was shown every commit of the change), and the authors
 * and committers of every commit in the change are excluded. Other lines are listed with what
 * they do approve (the last commit alone, or the head against a later base).
 */
export async function evaluateChange(
  repo: RepoHandle,
  trustedRef: TrustedPolicy,
  notesRef: string,
  head: Pick<CommitInfo, 'id' | 'tree' | 'parents'>,
  base: string,
  lines?: string[],
): Promise<ChangeVerdict> {
  // As for a single commit: a head already on the trusted ref is judged by the policy from before it.
  const { trusted, failures } = await governingPolicy(repo.dir, trustedRef, head.id);
  const [all, ids] = await Promise.all([lines ? Promise.resolve(lines) : readNoteLines(repo.dir, notesRef, head.id), changeIds(repo.dir, base, head.id)]);
  const excl = await exclusionsForCommits(repo.dir, ids, trusted);
  const memo = new Map<string, Promise<boolean>>();
  const firstParent = head.parents[0] ?? null;
  const scoped = await Promise.all(
    all.map(async (line) => {
      let lb: string | null = null;
      let readable = true;
      try {
        lb = lineBase(parseNoteLine(line), firstParent);
      } catch {
        readable = false;
      }
      const scope: SignatureLineView['scope'] = !readable || (await covers(repo.dir, lb, base, memo)) ? 'change' : parseNoteLine(line).base === undefined ? 'last-commit' : 'other-base';
      return { line, lb, scope };
    }),
  );
  const common = {
    repository: trusted.policy.repository,
    commit: head.id,
    tree: head.tree,
    ...excl,
    failures: [...failures, ...excl.failures],
    policy: trusted.policy,
    allowedSigners: trusted.allowedSigners,
    now: new Date(),
  };
  const covering = scoped.filter((s) => s.scope === 'change');
  const others = scoped.filter((s) => s.scope !== 'change');
  const verdict = evaluateLines({ ...common, lines: covering.map((s) => s.line) });
  const otherVerdict = evaluateLines({ ...common, lines: others.map((s) => s.line) });
  const views = new Map<string, SignatureLineView>();
  signatureViews(verdict).forEach((v, i) => views.set(v.line, { ...v, scope: 'change', base: covering[i].lb }));
  signatureViews(otherVerdict).forEach((v, i) => {
    const o = others[i];
    const what =
      o.scope === 'last-commit'
        ? `approves only the last commit ${head.id.slice(0, 12)}, not this change`
        : `approves ${head.id.slice(0, 12)} against base ${String(o.lb).slice(0, 12)}, which leaves out part of this change`;
    views.set(v.line, {
      ...v,
      scope: o.scope,
      base: o.lb,
      counted: false,
      // A signature that would have counted is good but does not approve this change.
      ...(v.counted ? { status: 'not-counted' as const, reason: what } : { reason: v.reason ? `${v.reason}; ${what}` : what }),
    });
  });
  return { verdict, signatures: all.map((l) => views.get(l)!), covering: covering.map((s) => s.line) };
}

/** The change review screen: head `headId` against base `base` (both full ids, base an ancestor of head). */
export async function getChangeReview(
  app: App,
  repoName: string,
  headId: string,
  base: string,
  viewer: UserView | null,
  opts: { baseName?: string | null; diff?: DiffMode } = {},
): Promise<ReviewView> {
  const mode = opts.diff ?? 'full';
  const repo = app.repo(repoName);
  const head = await resolveReviewCommit(repo, headId, { fetchOnDemand: viewer !== null });
  await checkChangeBase(repo, head.id, base);
  const count = await countChange(repo.dir, base, head.id);
  if (count > CHANGE_MAX_COMMITS) {
    throw new CountersignError('bad-input', `this change has ${count} commits, more than ${CHANGE_MAX_COMMITS} can be reviewed in the app; sign it with countersign sign --base`);
  }
  const trusted = await repo.trusted();
  const notesRef = repo.notesRefFor(trusted);
  const baseName = opts.baseName ?? null;
  const [judged, diff, branches, creds, commits, baseCommit, moved] = await Promise.all([
    evaluateChange(repo, trusted, notesRef, head, base),
    changeDiff(repo.dir, base, head.id, diffOptions(mode)),
    branchesContaining(repo.dir, head.id),
    viewer ? listCredentials(app.db, viewer.id) : Promise.resolve([]),
    listChange(repo.dir, base, head.id, { max: CHANGE_MAX_LISTED }),
    repo.commit(base),
    baseName ? branchMoved(repo, baseName, head.id, base) : Promise.resolve(false),
  ]);
  const policy = trusted.policy;
  const ctx = { repository: policy.repository, commit: head.id, tree: head.tree, namespace: policy.namespace };
  const mine = viewer ? linesBy(judged.covering, ctx, viewer.email, creds, 'approve') : [];
  const change: ChangeView = {
    base,
    baseShortId: base.slice(0, 12),
    baseTitle: baseCommit.title,
    baseName,
    baseNameMoved: moved,
    commits: commits.map((c) => ({ id: c.id, shortId: c.id.slice(0, 12), title: c.title, authorName: c.authorName, authorEmail: c.authorEmail, date: c.date })),
    commitCount: count,
  };
  return {
    ...commitFields(repo.config.name, head, branches),
    signatures: judged.signatures,
    policy: policyState(judged.verdict),
    statementPreview: viewer
      ? serializeStatement({ repository: policy.repository, commit: head.id, tree: head.tree, base, verdict: 'approve', signer: viewer.email, time: formatTime(new Date()) })
      : null,
    ...viewerFields(app, repo, trusted, viewer, creds, mine),
    diff: mode === 'page' ? pageDiffView(diff) : toDiffView(diff),
    change,
  };
}

/** Has branch `name` moved since `base` was taken from it (its merge-base with the head is another commit, or it is gone)? */
async function branchMoved(repo: RepoHandle, name: string, head: string, base: string): Promise<boolean> {
  try {
    const r = await resolveRevision(repo.dir, name, REMOTE);
    if (r.kind !== 'branch') return true;
    return (await mergeBase(repo.dir, r.id, head)) !== base;
  } catch {
    return true;
  }
}

/**
 * The review for `GET /api/repos/<repo>/commits/<commit>[?base=REV]`: the single commit, or with a
 * base (a branch name, a full or abbreviated id) the change from merge-base(base, commit).
 */
export async function reviewWithBase(app: App, repoName: string, commitId: string, viewer: UserView | null, base: string | null): Promise<ReviewView> {
  if (base === null) return getReview(app, repoName, commitId, viewer);
  const repo = app.repo(repoName);
  const change = await resolveChange(repo, commitId, base, { fetchOnDemand: viewer !== null });
  return getChangeReview(app, repoName, change.head.id, change.base, viewer, { baseName: change.baseName });
}
