import type { Metadata } from 'next';
import { notFound, redirect } from 'next/navigation';
import { ApproveBar } from '@/components/ApproveBar';
import { ReviewBody } from '@/components/ReviewBody';
import { SaveReviewOffline } from '@/components/SaveOffline';
import { decodeSegment, reviewPath, shortId } from '@/lib/ui/commit-id';
import { currentUser, reviewFor } from '../../../_lib/data';
import { countersignErrorCode } from '../../../_lib/errors';

type Params = Promise<{ repo: string; commit: string }>;

/** A commit or repository that does not exist is a 404 page; nothing is signed. */
async function load(params: Params) {
  const p = await params;
  const repo = decodeSegment(p.repo);
  const commit = decodeSegment(p.commit);
  try {
    return { repo, commit, review: await reviewFor(repo, commit) };
  } catch (e) {
    const code = countersignErrorCode(e);
    if (code === 'unknown-commit' || code === 'not-found' || code === 'bad-input') notFound();
    throw e;
  }
}

export async function generateMetadata({ params }: { params: Params }): Promise<Metadata> {
  const { review } = await load(params);
  return { title: `${review.title || shortId(review.commit)} (${review.repo})` };
}

export default async function ReviewPage({ params }: { params: Params }) {
  const { review, repo, commit } = await load(params);
  const here = reviewPath(review.repo, review.commit);
  // One address per commit (an upper-case id in a link still lands on the canonical page).
  if (review.repo !== repo || review.commit !== commit) redirect(here);
  const user = await currentUser();
  return (
    <div className="pb-44">
      <ReviewBody review={review} />
      <SaveReviewOffline repo={review.repo} commit={review.commit} />
      <ApproveBar
        repo={review.repo}
        commit={review.commit}
        signedIn={user !== null}
        viewerHasSigned={review.viewerHasSigned}
        viewerSignedAt={review.viewerSignedAt}
        viewerKeyTrusted={review.viewerKeyTrusted}
        pendingPublish={review.pendingPublish}
        signInHref={`/?next=${encodeURIComponent(here)}`}
      />
    </div>
  );
}
