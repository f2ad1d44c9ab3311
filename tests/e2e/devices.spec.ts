import type { Page, TestInfo } from '@playwright/test';
import { expect, test } from './support/fixtures';
import { DEMO_REMOTE, git, invite, snap } from './support/app';
import { addVirtualPasskey } from './support/passkey';

/**
 * The devices page lists every signature your passkeys made, read from the notes: the way to see
 * a signature you did not mean to make (README, top: what a compromised server can do).
 */

function person(name: string, testInfo: TestInfo): string {
  return `${name}.devices.${testInfo.project.name}@e2e.test`;
}

async function enroll(page: Page, url: string, device: string) {
  await page.goto(url);
  await page.getByLabel('Device name').fill(device);
  await page.getByRole('button', { name: 'Create passkey' }).click();
  await expect(page.getByRole('heading', { name: 'Passkey created' })).toBeVisible();
}

test('"Your signatures" on the devices page lists what your passkey signed, with the device', async ({ page }, testInfo) => {
  // A commit of this test's own, on no branch (no other test counts its signatures).
  const tree = (await git(['--git-dir', DEMO_REMOTE, 'rev-parse', 'main^{tree}'])).trim();
  const commit = (await git(['--git-dir', DEMO_REMOTE, 'commit-tree', tree, '-p', 'main', '-m', `Devices page check (${testInfo.project.name})`])).trim();
  await git(['--git-dir', DEMO_REMOTE, 'update-ref', `refs/pull/devices-${testInfo.project.name}/head`, commit]);

  await addVirtualPasskey(page);
  await enroll(page, await invite(person('kim', testInfo)), 'Kim phone');
  await page.goto('/devices');
  const mine = page.getByRole('region', { name: 'Your signatures' });
  await expect(mine).toContainText('No signatures yet.');

  await page.goto(`/r/demo/${commit}`);
  await page.getByRole('button', { name: 'Approve' }).click();
  await expect(page.getByRole('status').getByRole('listitem')).toHaveText([/Signed$/, /Saved$/, /Published$/]);

  await page.goto('/devices');
  await expect(mine.getByRole('listitem')).toHaveCount(1);
  await expect(mine.getByRole('listitem')).toContainText(`demo ${commit.slice(0, 12)} approve`);
  await expect(mine.getByRole('listitem')).toContainText('Kim phone');
  await mine.scrollIntoViewIfNeeded();
  await snap(page, testInfo, '15-devices-your-signatures');
  await mine.getByRole('link', { name: `demo ${commit.slice(0, 12)}` }).click();
  await expect(page).toHaveURL(new RegExp(`/r/demo/${commit}$`));
});
