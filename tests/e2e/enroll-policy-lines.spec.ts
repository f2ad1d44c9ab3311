import { expect, test } from './support/fixtures';
import { invite, snap } from './support/app';
import { addVirtualPasskey } from './support/passkey';

/**
 * Passkey approvals count only under a policy that names the server's RP ID and origin (the
 * gate's strict default): right after creating a passkey, the page shows the policy.json lines to
 * add, for this very server, with a copy button.
 */
test('after creating a passkey, the page shows the rpIds/origins lines policy.json needs', async ({ page, context }, testInfo) => {
  const email = `policy.${testInfo.project.name}@e2e.test`;
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await addVirtualPasskey(page);
  await page.goto(await invite(email));
  await page.getByRole('button', { name: 'Create passkey' }).click();
  await expect(page.getByRole('heading', { name: 'Passkey created' })).toBeVisible();

  const origin = new URL(page.url()).origin;
  const rpId = new URL(page.url()).hostname;
  const expected = `"rpIds": ["${rpId}"],\n"origins": ["${origin}"]`;
  const block = page.getByTestId('policy-lines');
  await expect(block).toContainText('policy.json');
  await expect(block.locator('pre')).toHaveText(expected);
  await block.getByRole('button', { name: 'Copy policy lines' }).click();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(expected);
  await snap(page, testInfo, 'enroll-policy-lines', { fullPage: true });
});
