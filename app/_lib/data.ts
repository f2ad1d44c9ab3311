/**
 * The pages' one door to the server-side services (lib/server). Server components only.
 * `cache` makes a page and its generateMetadata share one lookup per request.
 */
import { cache } from 'react';
import { cookies } from 'next/headers';
import { getApp, getChangeReview, getInbox, getReview, getSessionUser, listDevices, listRepositories, resolveChange, resolveReviewRevision } from '@/lib/server';
import type { UserView } from '@/lib/server/types';

export const currentUser = cache(async (): Promise<UserView | null> => {
  return getSessionUser(await cookies(), await getApp());
});

export const reviewFor = cache(async (repo: string, commit: string) => {
  const app = await getApp();
  return getReview(app, repo, commit, await currentUser(), { diff: 'page' });
});

/**
 * Where a review link points: the full head id (an abbreviation or branch name is resolved) and,
 * with a base, the change's merge-base and the branch it was named by. Throws CountersignError.
 */
export const reviewTarget = cache(async (repo: string, commit: string, base: string | null) => {
  const app = await getApp();
  const r = app.repo(repo);
  const fetchOnDemand = (await currentUser()) !== null;
  if (base === null) {
    const { commit: head } = await resolveReviewRevision(r, commit, { fetchOnDemand });
    return { head: head.id, base: null, baseName: null };
  }
  const change = await resolveChange(r, commit, base, { fetchOnDemand });
  return { head: change.head.id, base: change.base, baseName: change.baseName };
});

export const changeReviewFor = cache(async (repo: string, head: string, base: string, baseName: string | null) => {
  const app = await getApp();
  return getChangeReview(app, repo, head, base, await currentUser(), { baseName, diff: 'page' });
});

export async function inboxFor(user: UserView) {
  return getInbox(await getApp(), user);
}

export async function devicesFor(user: UserView) {
  return listDevices(await getApp(), user);
}

export async function repositories() {
  return listRepositories(await getApp());
}
