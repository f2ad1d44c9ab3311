import type { Page, TestInfo } from '@playwright/test';
import { expect, newPersonPage, test } from './support/fixtures';
import { BASE_URL } from './support/env.mjs';
import { demoCommit, git, DEMO_REMOTE, inviteDetails, invite, NOTES_REF, remoteNoteLines, snap } from './support/app';
import { addVirtualPasskey, disableConditionalUI, type VirtualPasskey } from './support/passkey';

/**
 * What must be refused, seen from the browser: a clear message on the screen, and nothing
 * written — no account, no key, no note line on the remote.
 */

/** The commit these tests try (and fail) to approve; no test here may leave a signature on it. */
const TARGET_TITLE = 'Escape the name before greeting';

function person(name: string, testInfo: TestInfo): string {
  return `${name}.${testInfo.project.name}@e2e.test`;
}

/** The page's own alert (Next.js adds a route announcer with role=alert outside <main>). */
function alertOn(page: Page) {
  return page.getByRole('main').getByRole('alert');
}

async function enroll(page: Page, url: string, device: string) {
  await page.goto(url);
  await page.getByLabel('Device name').fill(device);
  await page.getByRole('button', { name: 'Create passkey' }).click();
  await expect(page.getByRole('heading', { name: 'Passkey created' })).toBeVisible();
}

/** Every note on the remote, as `git notes list` prints it: any new signature anywhere changes it. */
async function allRemoteNotes(): Promise<string> {
  const ref = await git(['--git-dir', DEMO_REMOTE, 'for-each-ref', NOTES_REF]);
  if (ref.trim() === '') return '(no notes ref)';
  return git(['--git-dir', DEMO_REMOTE, 'notes', '--ref', NOTES_REF, 'list']);
}

async function signersOf(page: Page, email: string): Promise<{ status: number; text: string }> {
  const r = await page.request.get(`/api/signers/${encodeURIComponent(email)}`);
  return { status: r.status(), text: await r.text() };
}

async function expectNoKeysFor(page: Page, email: string) {
  const r = await signersOf(page, email);
  expect(r.text).not.toContain('sk-ecdsa-sha2-nistp256@openssh.com');
  expect(r.status).toBeGreaterThanOrEqual(400);
}

async function expectNoCredential(passkey: VirtualPasskey) {
  expect(await passkey.credentials()).toEqual([]);
}

test('an authenticator that cannot verify its user is refused at enrollment, and the invite stays usable', async ({ page }, testInfo) => {
  const carol = person('carol', testInfo);
  const url = await invite(carol);
  const weak = await addVirtualPasskey(page, { userVerification: false });

  await page.goto(url);
  await page.getByRole('button', { name: 'Create passkey' }).click();
  const alert = alertOn(page);
  await expect(alert).toContainText('No passkey was added');
  await expect(alert).toContainText('could not verify you');
  await snap(page, testInfo, '10-refused-no-user-verification');
  await expectNoKeysFor(page, carol);
  await expectNoCredential(weak);

  // The refusal consumed nothing: with a proper passkey the same invite works.
  await weak.remove();
  await addVirtualPasskey(page);
  await page.getByRole('button', { name: 'Create passkey' }).click();
  await expect(page.getByRole('heading', { name: 'Passkey created' })).toBeVisible();
  expect((await signersOf(page, carol)).text).toContain(`${carol} namespaces=`);
});

test('a passkey whose user verification fails cannot approve; nothing is signed', async ({ page }, testInfo) => {
  const dan = person('dan', testInfo);
  const target = await demoCommit(TARGET_TITLE);
  const passkey = await addVirtualPasskey(page);
  await enroll(page, await invite(dan), 'Dan phone');
  const before = await allRemoteNotes();

  await page.goto(`/r/demo/${target.id}`);
  await passkey.setUserVerified(false);
  await page.getByRole('button', { name: 'Approve' }).click();
  await expect(alertOn(page)).toContainText('could not verify you');
  await expect(page.getByRole('status')).not.toContainText('Signed');
  await expect(page.getByRole('button', { name: 'Approve' })).toBeEnabled();
  await snap(page, testInfo, '11-refused-approval-without-verification');

  expect(await allRemoteNotes()).toBe(before);
  expect(await remoteNoteLines(target.id)).toEqual([]);
  const sigs = await (await page.request.get(`/api/repos/demo/commits/${target.id}/signatures`)).json();
  expect(sigs.signatures).toEqual([]);
});

test('a revoked device can neither approve nor sign in', async ({ page, browser }, testInfo) => {
  const erin = person('erin', testInfo);
  const target = await demoCommit(TARGET_TITLE);
  const before = await allRemoteNotes();

  // Erin's old phone, signed in and looking at a commit.
  await addVirtualPasskey(page);
  await enroll(page, await invite(erin), 'Erin old phone');
  await page.goto(`/r/demo/${target.id}`);
  await expect(page.getByRole('button', { name: 'Approve' })).toBeVisible();

  // Her new phone: a second invite for the same address adds a device; from there she revokes the old one.
  const newPhone = await newPersonPage(browser, testInfo);
  const newKey = await addVirtualPasskey(newPhone);
  await enroll(newPhone, await invite(erin), 'Erin new phone');
  await newPhone.goto('/devices');
  await expect(newPhone.getByRole('heading', { name: 'Erin old phone' })).toBeVisible();
  await expect(newPhone.getByRole('heading', { name: 'Erin new phone' })).toBeVisible();
  // Enrolling used each passkey: neither reads "last used never".
  for (const name of ['Erin old phone', 'Erin new phone']) {
    const card = newPhone.getByRole('article', { name });
    await expect(card).toContainText(/last used (just now|\d+ min ago)/);
    await expect(card).not.toContainText('never');
  }
  await newPhone.getByRole('button', { name: 'Revoke Erin old phone' }).click();
  await snap(newPhone, testInfo, '12-devices-revoke-confirm');
  await newPhone.getByRole('button', { name: 'Yes, revoke' }).click();
  await expect(newPhone.getByText('Revoked (1)')).toBeVisible();
  await expect(newPhone.getByRole('heading', { name: 'Erin old phone' })).toHaveCount(0);

  // "Add another device" on the new phone: a security key (another authenticator) gets its own key.
  await newKey.remove();
  await addVirtualPasskey(newPhone);
  await newPhone.getByLabel('Device name').fill('Erin security key');
  await newPhone.getByRole('button', { name: 'Add another device' }).click();
  await expect(newPhone.getByRole('heading', { name: 'Passkey created' })).toBeVisible();
  await expect(newPhone.getByRole('heading', { name: 'Erin security key' })).toBeVisible();
  await snap(newPhone, testInfo, '13-devices-after-revoke', { fullPage: true });
  const published = (await signersOf(newPhone, erin)).text;
  expect(published.trim().split('\n').filter((l) => l.startsWith(erin))).toHaveLength(2);

  // The old phone still shows the review, but its approval is refused: the revocation ended its session.
  await page.getByRole('button', { name: 'Approve' }).click();
  await expect(alertOn(page)).toContainText('sign in');
  await expect(page.getByRole('status')).not.toContainText('Signed');
  expect(await allRemoteNotes()).toBe(before);

  // And it cannot sign in again. The button path, as in the approve flow: the virtual authenticator
  // would otherwise answer the page's background autofill request at once and race the click.
  await page.addInitScript(disableConditionalUI);
  await page.goto('/');
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await expect(alertOn(page)).toContainText('was revoked');
  await expect(alertOn(page)).toContainText('Erin old phone');
  await snap(page, testInfo, '14-revoked-device-sign-in');
  await expect(page.getByRole('button', { name: 'Sign in with a passkey' })).toBeVisible();
  expect(await allRemoteNotes()).toBe(before);
  await newPhone.context().close();
});

test('an expired invite and an already used invite are refused with a clear message', async ({ page, browser }, testInfo) => {
  // Expired: the CLI's --hours takes fractions; 0.0003 h is about a second.
  const frank = person('frank', testInfo);
  const expiring = await inviteDetails(frank, { hours: '0.0003' });
  const wait = Date.parse(expiring.expiresAt) - Date.now() + 200;
  if (wait > 0) await page.waitForTimeout(wait);
  const passkey = await addVirtualPasskey(page);
  await page.goto(expiring.url);
  await page.getByRole('button', { name: 'Create passkey' }).click();
  await expect(alertOn(page)).toContainText('No passkey was added');
  await expect(alertOn(page)).toContainText('expired');
  await snap(page, testInfo, '15-invite-expired');
  await expectNoCredential(passkey);
  await expectNoKeysFor(page, frank);

  // Used: Gina enrolls; the same link opened again (here, by someone else) is refused.
  const gina = person('gina', testInfo);
  const url = await invite(gina);
  const ginaPage = await newPersonPage(browser, testInfo);
  await addVirtualPasskey(ginaPage);
  await enroll(ginaPage, url, 'Gina phone');
  await ginaPage.context().close();

  const other = await newPersonPage(browser, testInfo);
  const otherKey = await addVirtualPasskey(other);
  await other.goto(url);
  await other.getByRole('button', { name: 'Create passkey' }).click();
  await expect(alertOn(other)).toContainText('already been used');
  await snap(other, testInfo, '16-invite-used');
  await expectNoCredential(otherKey);
  const keys = (await signersOf(other, gina)).text.trim().split('\n').filter((l) => l.startsWith(gina));
  expect(keys).toHaveLength(1);
  await other.context().close();
});

test('an unknown commit shows a not-found page and nothing is signed', async ({ page }, testInfo) => {
  const hank = person('hank', testInfo);
  await addVirtualPasskey(page);
  await enroll(page, await invite(hank), 'Hank phone');
  const before = await allRemoteNotes();

  const missing = 'c0ffee'.padEnd(40, '0');
  const response = await page.goto(`/r/demo/${missing}`);
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Commit not found' })).toBeVisible();
  await expect(page.getByText('Nothing was signed.')).toBeVisible();
  await expect(page.getByText(missing)).toBeVisible();
  await expect(page.getByRole('button', { name: 'Approve' })).toHaveCount(0);
  await snap(page, testInfo, '17-commit-not-found');

  // Asking the API directly is refused too, before any passkey is involved.
  const options = await page.request.post(`/api/repos/demo/commits/${missing}/approve/options`, {
    data: { verdict: 'approve' },
    headers: { origin: BASE_URL },
  });
  expect(options.status()).toBe(404);
  expect((await options.json()).error).toMatch(/commit/i);

  // A malformed id and an unknown repository are not-found pages as well.
  expect((await page.goto('/r/demo/not-a-commit'))?.status()).toBe(404);
  await expect(page.getByText(/or the name of a branch pushed to the repository/)).toBeVisible();
  const real = await demoCommit(TARGET_TITLE);
  expect((await page.goto(`/r/nope/${real.id}`))?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Commit not found' })).toBeVisible();

  expect(await allRemoteNotes()).toBe(before);
});
