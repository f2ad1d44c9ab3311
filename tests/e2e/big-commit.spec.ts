import type { Page } from '@playwright/test';
import { BIG_COMMIT, BIG_PATHS, makeBigCommit, smallPath } from '../support/big-commit';
import { expect, test } from './support/fixtures';
import { DEMO_REMOTE, demoCommits, invite, remoteNoteLines, snap } from './support/app';
import { addVirtualPasskey } from './support/passkey';

/**
 * A commit far too large to send whole (3,000 files, a 50,000-line file, 200,000-character lines,
 * a binary), reviewed on a 360-pixel-wide phone: the page stays under 300 kB of HTML, shows every
 * file's counts, loads a collapsed file when it is opened and more of it on request, lists the
 * files it did not, tells the reviewer how much was seen, and still approves the whole commit.
 */
const HTML_LIMIT = 300_000;
const TOTAL_FILES = (BIG_COMMIT.smallFiles + 3).toLocaleString('en-US');

test.use({ viewport: { width: 360, height: 780 } });

/** The page's HTML as the server sends it (uncompressed bytes), once the server's clone has the commit. */
async function htmlBytes(page: Page, path: string): Promise<number> {
  let size = 0;
  await expect(async () => {
    const res = await page.request.get(path);
    expect(res.status()).toBe(200);
    size = (await res.body()).length;
  }).toPass({ timeout: 20_000 });
  return size;
}

test('a huge commit on a phone: a small page, every count, files load when opened, and approval covers it all', async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== 'phone', 'the phone is what this is about');
  const commits = await demoCommits();
  const id = await makeBigCommit(DEMO_REMOTE, `huge-${testInfo.project.name}`, commits[commits.length - 1].id);
  const first = commits[0].id;

  await test.step('its review page and its change page are at most 300 kB of HTML', async () => {
    expect(await htmlBytes(page, `/r/demo/${id}`)).toBeLessThanOrEqual(HTML_LIMIT);
    expect(await htmlBytes(page, `/r/demo/${id}?base=${first}`)).toBeLessThanOrEqual(HTML_LIMIT);
  });

  await test.step('the reviewer enrolls and opens it', async () => {
    await addVirtualPasskey(page);
    await page.goto(await invite('hugo.phone@e2e.test'));
    await page.getByLabel('Device name').fill('Hugo phone');
    await page.getByRole('button', { name: 'Create passkey' }).click();
    await expect(page.getByRole('heading', { name: 'Passkey created' })).toBeVisible();
    expect(await htmlBytes(page, `/r/demo/${id}`)).toBeLessThanOrEqual(HTML_LIMIT);
    await page.goto(`/r/demo/${id}`);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Import a very large tree');
  });

  await test.step('every file is counted; the page says which are not loaded', async () => {
    await expect(page.locator('#diff-heading + p')).toContainText(`${TOTAL_FILES} files`);
    const binary = page.locator(`details[data-file="${BIG_PATHS.binary}"]`);
    await expect(binary.locator('summary')).toContainText('binary file');
    const huge = page.locator(`details[data-file="${BIG_PATHS.huge}"]`);
    await expect(huge.locator('summary')).toContainText(`+${BIG_COMMIT.hugeLines}`);
    await expect(huge.locator('summary')).toContainText('not loaded');
    await expect(huge).not.toHaveAttribute('open', '');
    await expect(page.getByText(/load when you open them/)).toBeVisible();
    await expect(page.locator('#approve-viewed')).toHaveText(new RegExp(`^You have seen 98 of ${TOTAL_FILES} files in full\\. Approving signs the whole commit, all ${TOTAL_FILES} files\\.$`));
    await snap(page, testInfo, '20-huge-commit');
  });

  await test.step('opening the collapsed 50,000-line file loads its first chunk; "Load more" the next', async () => {
    const huge = page.locator(`details[data-file="${BIG_PATHS.huge}"]`);
    await huge.locator('summary').click();
    const lines = huge.getByLabel(`Diff of ${BIG_PATHS.huge}`).locator('ins');
    await expect(lines).toHaveCount(999);
    await expect(lines.first()).toHaveText('line 1 of the huge file');
    const more = huge.getByRole('button', { name: `Load more (${(BIG_COMMIT.hugeLines - 999).toLocaleString('en-US')} changed lines not shown yet)` });
    await more.scrollIntoViewIfNeeded();
    await snap(page, testInfo, '21-huge-file-load-more');
    await more.click();
    await expect(lines).toHaveCount(1999);
    await expect(lines.last()).toHaveText('line 1999 of the huge file');
  });

  await test.step('a cut long line loads whole on a tap', async () => {
    const long = page.locator(`details[data-file="${BIG_PATHS.long}"]`);
    await long.locator('summary').click();
    const firstLine = long.getByLabel(`Diff of ${BIG_PATHS.long}`).locator('ins').first();
    await firstLine.getByRole('button', { name: /more characters/ }).click();
    await expect(firstLine.getByRole('button')).toHaveCount(0);
    expect((await firstLine.textContent())!.length).toBe(BIG_COMMIT.longLineChars);
  });

  await test.step('files beyond the list are listed on request and load when opened; the count of seen files follows', async () => {
    await page.getByRole('button', { name: 'Show more files' }).click();
    const next = page.locator(`details[data-file="${smallPath(97)}"]`);
    await expect(next).toBeVisible();
    await next.locator('summary').click();
    await expect(next.getByLabel(`Diff of ${smallPath(97)}`).locator('ins')).toHaveCount(3);
    await expect(page.locator('#approve-viewed')).toContainText(`You have seen 100 of ${TOTAL_FILES} files in full`);
    // Nothing pushes the page sideways on a 360-pixel screen: long lines scroll inside their file.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  });

  await test.step('approving signs the whole commit', async () => {
    await page.getByRole('button', { name: 'Approve', exact: true }).click();
    await expect(page.getByRole('status').getByRole('listitem')).toHaveText([/Signed$/, /Saved$/, /Published$/]);
    await expect(page.getByRole('button', { name: 'Approved', exact: true })).toBeDisabled();
    const lines = await remoteNoteLines(id);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^countersign-v1 approve hugo\.phone@e2e\.test /);
    await snap(page, testInfo, '22-huge-commit-approved');
  });
});
