/**
 * The pages' one door to the server-side services (lib/server). Server components only.
 * `cache` makes a page and its generateMetadata share one lookup per request.
 */
import { cache } from 'react';
import { cookies } from 'next/headers';
import { getApp, getInbox, getReview, getSessionUser, listDevices, listRepositories } from '@/lib/server';
import type { UserView } from '@/lib/server/types';

export const currentUser = cache(async (): Promise<UserView | null> => {
  return getSessionUser(await cookies(), await getApp());
});

export const reviewFor = cache(async (repo: string, commit: string) => {
  const app = await getApp();
  return getReview(app, repo, commit, await currentUser());
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
