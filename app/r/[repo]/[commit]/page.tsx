import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound, redirect } from 'next/navigation';
import { cache } from 'react';
import { Alert } from '@/components/Alert';
import { ApproveBar } from '@/components/ApproveBar';
import { ReviewBody } from '@/components/ReviewBody';
import { SaveReviewOffline } from '@/components/SaveOffline';
import type { ReviewView } from '@/lib/server/types';
import { BRANCH_TEXT_RE, changePath, decodeSegment, reviewPath, shortId } from '@/lib/ui/commit-id';
import { pageProgress } from '@/lib/ui/diff';
import { changeReviewFor, currentUser, reviewFor, reviewTarget } from '../../../_lib/data';
import { countersignErrorCode } from '../../../_lib/errors';

type Params = Promise<{ repo: string; commit: string }>;
type Search = Promise<Record<string, string | string[] | undefined>>;

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
const NOT_FOUND = new Set(['unknown-commit', 'not-found', 'bad-input']);

type Loaded =
  | { kind: 'redirect'; to: string }
  | { kind: 'review'; review: ReviewView }
  | { kind: 'problem'; repo: string; head: string; base: string; message: string }
  | { kind: 'cloning'; again: string; message: string };

/**
 * One address per review: `/r/<repo>/<full head id>` for a commit, and for a change
 * `?base=<full id of merge-base(base, head)>` (plus `from=<branch>` when the base was named by a
 * branch, shown as text). Abbreviated ids and branch names redirect there, so the page, its link
 * and the signature all name one fixed base even if the branch moves on. A head that cannot be
 * found is a 404 page; a base that cannot be used says why. Nothing is signed either way.
 */
const load = cache(async (p: Awaited<Params>, q: Awaited<Search>): Promise<Loaded> => {
  const repo = decodeSegment(p.repo);
  const commit = decodeSegment(p.commit);
  const base = one(q.base);
  const from = one(q.from);
  let target;
  try {
    target = await reviewTarget(repo, commit, null);
  } catch (e) {
    if (NOT_FOUND.has(countersignErrorCode(e) ?? '')) notFound();
    // The server's clone is still being made (lib/server/repos.ts): say so, with git's progress.
    if (countersignErrorCode(e) === 'repo-cloning') return { kind: 'cloning', again: reviewPath(repo, commit), message: (e as Error).message };
    throw e;
  }
  if (base === undefined || base === '') {
    if (target.head !== commit || q.from !== undefined) return { kind: 'redirect', to: reviewPath(repo, target.head) };
    return { kind: 'review', review: await reviewFor(repo, target.head) };
  }
  let change;
  try {
    change = await reviewTarget(repo, target.head, base);
  } catch (e) {
    const code = countersignErrorCode(e);
    if (code === 'unknown-commit' || code === 'bad-input') {
      return { kind: 'problem', repo, head: target.head, base, message: (e as Error).message };
    }
    throw e;
  }
  const baseName = change.baseName ?? (from && BRANCH_TEXT_RE.test(from) ? from : null);
  const canonical = changePath(repo, change.head, change.base!, baseName);
  if (change.head !== commit || change.base !== base || (from ?? null) !== baseName || Object.keys(q).some((k) => k !== 'base' && k !== 'from')) {
    return { kind: 'redirect', to: canonical };
  }
  return { kind: 'review', review: await changeReviewFor(repo, change.head, change.base!, baseName) };
});

export async function generateMetadata({ params, searchParams }: { params: Params; searchParams: Search }): Promise<Metadata> {
  const r = await load(await params, await searchParams);
  if (r.kind !== 'review') return { title: 'Review' };
  const { review } = r;
  const what = review.change ? `${review.change.commitCount} commits to ${shortId(review.commit)}` : review.title || shortId(review.commit);
  return { title: `${what} (${review.repo})` };
}

export default async function ReviewPage({ params, searchParams }: { params: Params; searchParams: Search }) {
  const r = await load(await params, await searchParams);
  if (r.kind === 'redirect') redirect(r.to);
  if (r.kind === 'problem') return <BaseProblem {...r} />;
  if (r.kind === 'cloning') {
    return (
      <div className="space-y-4 py-6">
        <h1 className="text-2xl font-bold">Not ready yet</h1>
        <Alert tone="info" title="The server is still cloning this repository">
          <span className="wrap-anywhere">{r.message}</span>
        </Alert>
        <Link href={r.again} className="btn-secondary">
          Try again
        </Link>
      </div>
    );
  }
  const { review } = r;
  const here = review.change ? changePath(review.repo, review.commit, review.change.base, review.change.baseName) : reviewPath(review.repo, review.commit);
  const user = await currentUser();
  const change = review.change;
  const progress = pageProgress(review.diff);
  return (
    <div className="pb-52">
      <ReviewBody review={review} />
      {!change && <SaveReviewOffline repo={review.repo} commit={review.commit} />}
      <ApproveBar
        repo={review.repo}
        commit={review.commit}
        base={change?.base}
        scope={
          change
            ? `You approve ${change.commitCount} ${change.commitCount === 1 ? 'commit' : 'commits'} from ${change.baseShortId.slice(0, 7)} to ${shortId(review.commit, 7)}`
            : undefined
        }
        signedIn={user !== null}
        viewerHasSigned={review.viewerHasSigned}
        viewerSignedAt={review.viewerSignedAt}
        viewerKeyTrusted={review.viewerKeyTrusted}
        pendingPublish={review.pendingPublish}
        signInHref={`/?next=${encodeURIComponent(here)}`}
        filesShown={progress.shown}
        filesTotal={progress.total}
      />
    </div>
  );
}

function BaseProblem({ repo, head, base, message }: { repo: string; head: string; base: string; message: string }) {
  return (
    <div className="space-y-4 py-6">
      <h1 className="text-2xl font-bold">This change cannot be shown</h1>
      <Alert tone="warn" title={`Base ${JSON.stringify(base.slice(0, 80))}`}>
        <span className="wrap-anywhere">{message}</span>
      </Alert>
      <p className="text-sm">
        Nothing was signed. Ask for a link whose base is a branch of the repository or a commit the change was made on.
      </p>
      <Link href={reviewPath(repo, head)} className="btn-secondary">
        Review commit {shortId(head)} on its own
      </Link>
    </div>
  );
}
