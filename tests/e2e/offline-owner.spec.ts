import type { Page, TestInfo } from '@playwright/test';
import { expect, test } from './support/fixtures';
import { demoCommits, invite } from './support/app';
import { addVirtualPasskey } from './support/passkey';

/**
 * The copy kept on the device for reading offline (IndexedDB) belongs to the signed-in user and
 * outlives neither their session nor their turn on the device: it goes when the server says the
 * session is gone, and when another user signs in on the same browser.
 */

function person(name: string, testInfo: TestInfo): string {
  return `${name}.offline.${testInfo.project.name}@e2e.test`;
}

async function enroll(page: Page, url: string, device: string) {
  await page.goto(url);
  await page.getByLabel('Device name').fill(device);
  await page.getByRole('button', { name: 'Create passkey' }).click();
  await expect(page.getByRole('heading', { name: 'Passkey created' })).toBeVisible();
}

/** What the offline copy holds, read with the browser's own IndexedDB API. */
async function offlineCopy(page: Page): Promise<{ owner: string | null; reviews: string[]; inbox: string | null }> {
  try {
    return await readOfflineCopy(page);
  } catch (e) {
    // A navigation (sign-out reloads the page) can replace the document mid-read: read the new one.
    if (!/Execution context was destroyed|navigat/i.test((e as Error).message)) throw e;
    await page.waitForLoadState('load');
    return readOfflineCopy(page);
  }
}

async function readOfflineCopy(page: Page): Promise<{ owner: string | null; reviews: string[]; inbox: string | null }> {
  return page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('countersign');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const names = ['meta', 'reviews', 'inbox'].filter((n) => db.objectStoreNames.contains(n));
          if (names.length < 3) {
            db.close();
            resolve({ owner: null, reviews: [], inbox: null });
            return;
          }
          const tx = db.transaction(names, 'readonly');
          const owner = tx.objectStore('meta').get('owner');
          const reviews = tx.objectStore('reviews').getAll();
          const inbox = tx.objectStore('inbox').get('inbox');
          tx.oncomplete = () => {
            db.close();
            resolve({
              owner: owner.result?.userId ?? null,
              reviews: (reviews.result as { userId: string }[]).map((r) => r.userId),
              inbox: inbox.result?.userId ?? null,
            });
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
  );
}

async function myId(page: Page): Promise<string> {
  const r = await page.request.get('/api/me');
  expect(r.status()).toBe(200);
  return (await r.json()).user.id;
}

test('the offline copy is dropped when the session ends, and never shown to the next user of the device', async ({ page }, testInfo) => {
  const commits = await demoCommits();
  const commit = commits[commits.length - 1];
  await addVirtualPasskey(page);

  // Ann reads a review and her inbox: both are kept, as hers.
  await enroll(page, await invite(person('ann', testInfo)), 'Ann phone');
  const ann = await myId(page);
  await page.goto(`/r/demo/${commit.id}`);
  await expect.poll(async () => (await offlineCopy(page)).reviews).toEqual([ann]);
  await page.goto('/');
  await expect.poll(async () => (await offlineCopy(page)).inbox).toBe(ann);
  expect((await offlineCopy(page)).owner).toBe(ann);

  // Her session ends (expired, or revoked from another device): the next page asks the server,
  // hears 401, and the copy goes.
  await page.context().clearCookies();
  await page.goto(`/r/demo/${commit.id}`);
  await expect.poll(async () => offlineCopy(page)).toEqual({ owner: null, reviews: [], inbox: null });

  // Ann again, then Ben on the same browser: Ben's first saved page drops everything of Ann's.
  await enroll(page, await invite(person('ann2', testInfo)), 'Ann phone again');
  const ann2 = await myId(page);
  await page.goto(`/r/demo/${commit.id}`);
  await expect.poll(async () => (await offlineCopy(page)).reviews).toEqual([ann2]);
  await enroll(page, await invite(person('ben', testInfo)), 'Ben phone');
  const ben = await myId(page);
  await page.goto('/');
  await expect.poll(async () => offlineCopy(page)).toEqual({ owner: ben, reviews: [], inbox: ben });

  // Signing out leaves nothing.
  await page.getByRole('button', { name: 'Sign out' }).first().click();
  await expect(page).toHaveURL(/\/$/);
  await expect.poll(async () => offlineCopy(page)).toEqual({ owner: null, reviews: [], inbox: null });
});
