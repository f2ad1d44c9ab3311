import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page, TestInfo } from '@playwright/test';
import { expect, newPersonPage, test } from './support/fixtures';
import {
  cloneDemo,
  countersign,
  demoCommit,
  invite,
  pendingCopy,
  remoteNoteLines,
  scratchDir,
  snap,
  sshKeygenVerify,
  trustSigners,
  type DemoCommit,
} from './support/app';
import { addVirtualPasskey, disableConditionalUI } from './support/passkey';

/**
 * The product's main path, as two people walk it: an invite, a passkey, a review link, one tap on
 * Approve; then, outside the app, the signature is in the remote's notes, stock ssh-keygen accepts
 * it, and once a maintainer trusts both reviewers' keys the policy (2 approvals, not the author's)
 * is met for `countersign verify`.
 */

/** Each project reviews its own demo commit (both by Ada Author, who is neither reviewer). */
const COMMIT_FOR: Record<string, string> = {
  phone: "Greet in the visitor's language",
  desktop: 'Move the server under src/http and add a logo',
};

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Opens an invite, creates a passkey, and returns the allowed_signers line the page shows. */
async function enroll(page: Page, testInfo: TestInfo, opts: { url: string; email: string; device: string; shots?: string }): Promise<string> {
  await page.goto(opts.url);
  await expect(page.getByRole('heading', { name: /invited to Countersign/ })).toBeVisible();
  await page.getByLabel('Device name').fill(opts.device);
  if (opts.shots) await snap(page, testInfo, `${opts.shots}-invite`);
  await page.getByRole('button', { name: 'Create passkey' }).click();
  await expect(page.getByRole('heading', { name: 'Passkey created' })).toBeVisible();
  const line = page.locator('pre').filter({ hasText: new RegExp(`^${escapeRe(opts.email)} namespaces="`) });
  await expect(line).toHaveCount(1);
  if (opts.shots) await snap(page, testInfo, `${opts.shots}-enrolled`, { fullPage: true });
  return (await line.innerText()).trim();
}

async function approve(page: Page) {
  await page.getByRole('button', { name: 'Approve' }).click();
  const steps = page.getByRole('status').getByRole('listitem');
  await expect(steps).toHaveText([/Signed$/, /Saved$/, /Published$/]);
}

test('invite → passkey → sign in → review → approve; a second reviewer makes the policy met', async ({ page, context, browser }, testInfo) => {
  const project = testInfo.project.name;
  const alice = `alice.${project}@e2e.test`;
  const bob = `bob.${project}@e2e.test`;
  // The review happens before the change lands: a copy of the demo commit on a branch of its own.
  const target: DemoCommit = await pendingCopy(await demoCommit(COMMIT_FOR[project]), `review-${project}`);
  expect([alice, bob]).not.toContain(target.authorEmail);
  expect(await remoteNoteLines(target.id)).toEqual([]);

  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await addVirtualPasskey(page);
  const tmp = scratchDir(project);

  try {
    let aliceLine = '';
    await test.step('Alice opens her invite and creates a passkey', async () => {
      const url = await invite(alice, { admin: true });
      aliceLine = await enroll(page, testInfo, { url, email: alice, device: 'Alice phone', shots: '01' });
      // Enrolling signed her in: the header now offers the signed-in navigation.
      await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Sign out' })).toBeVisible();
      expect(aliceLine).toMatch(new RegExp(`^${escapeRe(alice)} namespaces="countersign-review@countersign.dev" sk-ecdsa-sha2-nistp256@openssh.com AAAA[A-Za-z0-9+/=]+`));

      // The Copy button puts exactly that line on the clipboard.
      await page.getByRole('button', { name: 'Copy allowed_signers line' }).click();
      await expect(page.getByRole('button', { name: 'Copy allowed_signers line' })).toHaveText('Copied');
      expect((await page.evaluate(() => navigator.clipboard.readText())).trim()).toBe(aliceLine);

      // The fingerprint shown is the one ssh-keygen computes for the key in the line.
      const keyFile = path.join(tmp.dir, 'alice.pub');
      writeFileSync(keyFile, aliceLine.split(' ').slice(2, 4).join(' ') + '\n');
      const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', keyFile], { encoding: 'utf8' }).split(' ')[1];
      expect(fingerprint).toMatch(/^SHA256:/);
      await expect(page.getByText(fingerprint, { exact: true })).toBeVisible();

      // …and the server publishes it for bots, like a forge's /<user>.keys.
      const published = await page.request.get(`/api/signers/${encodeURIComponent(alice)}`);
      expect(published.status()).toBe(200);
      expect(await published.text()).toContain(aliceLine);
    });

    await test.step('she goes to her inbox and signs out; passkey autofill signs her back in', async () => {
      await page.getByRole('link', { name: 'Go to your inbox' }).click();
      await expect(page.getByRole('heading', { name: 'Inbox' })).toBeVisible();
      // The sign-in page offers her passkey in the account field's autofill (conditional UI);
      // Chromium's virtual authenticator picks it as a person would, without the button.
      const signedIn = page.waitForResponse((r) => r.url().endsWith('/api/auth/login/verify') && r.request().method() === 'POST');
      await page.getByRole('button', { name: 'Sign out' }).click();
      expect((await signedIn).status()).toBe(200);
      await expect(page.getByRole('heading', { name: 'Inbox' })).toBeVisible();
      await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
    });

    await test.step('without autofill, she signs in with the button', async () => {
      await page.addInitScript(disableConditionalUI);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await expect(page.getByRole('button', { name: 'Sign in with a passkey' })).toBeVisible();
      await snap(page, testInfo, '02-sign-in');
      await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
      await expect(page.getByRole('heading', { name: 'Inbox' })).toBeVisible();
      await snap(page, testInfo, '03-inbox');
    });

    await test.step('she opens the review link and reads the commit', async () => {
      await page.goto(`/r/demo/${target.id}`);
      await expect(page.getByRole('heading', { level: 1 })).toHaveText(target.title);
      await expect(page.getByLabel(`Commit id ${target.id}`)).toHaveText(target.id);
      await expect(page.getByText('No one has signed this commit yet.')).toBeVisible();
      // The diff is there, file by file.
      await expect(page.getByRole('heading', { name: 'Changes' })).toBeVisible();
      const firstFile = project === 'phone' ? 'src/greet.js' : 'README.md';
      await expect(page.getByLabel(`Diff of ${firstFile}`)).toBeVisible();
      await snap(page, testInfo, '04-review');
      // Scrolled so the diff starts just below the sticky header.
      await page.getByRole('heading', { name: 'Changes' }).evaluate((h) => {
        h.scrollIntoView({ block: 'start' });
        window.scrollBy(0, -64);
      });
      await snap(page, testInfo, '04b-review-diff');
      // The exact statement the passkey will sign.
      await page.getByText('What you sign').click();
      const statement = page.locator('pre').filter({ hasText: /^countersign review statement v1/ });
      await expect(statement).toBeVisible();
      await expect(statement).toContainText(`repository: demo\ncommit: ${target.id}\n`);
      await expect(statement).toContainText(`verdict: approve\nsigner: ${alice}\n`);
      await statement.evaluate((el) => {
        el.scrollIntoView({ block: 'start' });
        window.scrollBy(0, -140);
      });
      await snap(page, testInfo, '05-review-statement');
    });

    await test.step('she approves: signed, saved, published', async () => {
      await approve(page);
      // Her key is not in the repository's allowed_signers yet: recorded, and she is told it does not count.
      await expect(page.getByRole('status')).toContainText('does not count');
      // The top of the page (her signature in the list, after the refresh) with the steps in the bottom bar.
      await expect(page.getByText(alice, { exact: true })).toBeVisible();
      // Her line is a good signature by a key the repository does not list yet: amber, not a red failure.
      const row = page.locator('li[data-signature-status]').filter({ hasText: alice });
      await expect(row).toHaveAttribute('data-signature-status', 'valid-untrusted');
      await expect(row).toContainText('Valid signature — key not in allowed_signers (does not count)');
      await expect(row).not.toContainText('Does not verify');
      await row.evaluate((el) => {
        el.scrollIntoView({ block: 'start' });
        window.scrollBy(0, -140);
      });
      await snap(page, testInfo, '06a-signature-valid-untrusted');
      const bot = await (await page.request.get(`/api/repos/demo/commits/${target.id}/signatures`)).json();
      expect(bot.signatures).toEqual([expect.objectContaining({ signer: alice, ok: false, counted: false, status: 'valid-untrusted' })]);
      // The button shows the approval is done, with its time, here and after a reload.
      const done = page.getByRole('button', { name: 'Approved', exact: true });
      await expect(done).toBeDisabled();
      await expect(page.getByRole('button', { name: 'Approve', exact: true })).toHaveCount(0);
      await expect(page.getByRole('status')).toContainText(/You approved this commit on \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
      await page.evaluate(() => window.scrollTo(0, 0));
      await snap(page, testInfo, '06-approved');
      await page.reload();
      await expect(page.getByRole('button', { name: 'Approved', exact: true })).toBeDisabled();
      await expect(page.getByRole('status')).toContainText('You approved this commit on');
      await expect(page.getByRole('status')).toContainText("It does not count until your key is in this repository's allowed_signers.");
      await expect(page.getByText('Your key is not trusted in this repository').locator('..')).toContainText('your approval is recorded but does not count');
      const lines = await remoteNoteLines(target.id);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^countersign-v1 approve ${escapeRe(alice)} \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ [A-Za-z0-9+/]+=*$`));
    });

    let bobLine = '';
    const bobPage = await newPersonPage(browser, testInfo);
    await test.step('Bob, on his own device, is invited and creates a passkey', async () => {
      await addVirtualPasskey(bobPage);
      bobLine = await enroll(bobPage, testInfo, { url: await invite(bob), email: bob, device: 'Bob laptop' });
      const all = await (await page.request.get('/api/signers')).text();
      expect(all).toContain(aliceLine);
      expect(all).toContain(bobLine);
    });

    await test.step('a maintainer trusts both keys; stock ssh-keygen accepts the exported signature', async () => {
      await trustSigners([aliceLine, bobLine], `countersign: trust ${alice} and ${bob}`);
      const clone = await cloneDemo(tmp.dir);
      const out = path.join(tmp.dir, 'export');
      const exported = await countersign(['export', '--repo', clone, target.id, '--out', out]);
      expect(exported.stderr).toBe('');
      expect(exported.code).toBe(0);
      const files = readdirSync(out).sort();
      const sig = files.find((f) => f.endsWith(`-${alice}.sig`));
      const stmt = files.find((f) => f.endsWith(`-${alice}.statement`));
      expect(sig && stmt).toBeTruthy();
      const verified = await sshKeygenVerify({ dir: out, identity: alice, sig: sig!, statement: stmt! });
      expect(verified.code, verified.stderr).toBe(0);
      expect(verified.stdout).toContain(`Good "countersign-review@countersign.dev" signature for ${alice}`);
      // The same signature is refused for another identity: ssh-keygen really checks it.
      const wrong = await sshKeygenVerify({ dir: out, identity: bob, sig: sig!, statement: stmt! });
      expect(wrong.code).not.toBe(0);

      // A CI bot counts her approval now, but one is not enough: exit 1.
      const verify = await countersign(['verify', '--repo', clone, '--json', target.id]);
      expect(verify.code).toBe(1);
      expect(JSON.parse(verify.stdout).commits[0]).toMatchObject({ commit: target.id, met: false, count: 1, signers: [alice] });
    });

    await test.step('Bob approves too, and the policy is met', async () => {
      // The server reads the trusted policy from a clone at most a few seconds old (lib/server/repos.ts):
      // once it has fetched the maintainer's push, Alice's earlier approval counts.
      await bobPage.goto(`/r/demo/${target.id}`);
      await expect(async () => {
        await bobPage.reload();
        await expect(bobPage.getByText('1 of 2 approvals — needs 1 more')).toBeVisible({ timeout: 1000 });
      }).toPass({ timeout: 15_000 });
      await approve(bobPage);
      await expect(bobPage.getByRole('button', { name: 'Approved', exact: true })).toBeDisabled();
      await expect(bobPage.getByText('2 of 2 approvals — policy met')).toBeVisible();
      await expect(bobPage.getByText('Policy met', { exact: true })).toBeVisible();
      const rows = bobPage.locator('li[data-signature-status]');
      await expect(rows.filter({ hasText: alice })).toHaveAttribute('data-signature-status', 'counted');
      await expect(rows.filter({ hasText: bob })).toHaveAttribute('data-signature-status', 'counted');
      await snap(bobPage, testInfo, '07-second-approval-policy-met');
      expect(await remoteNoteLines(target.id)).toHaveLength(2);

      const clone = await cloneDemo(path.join(tmp.dir, 'bot'));
      const verify = await countersign(['verify', '--repo', clone, '--json', target.id]);
      expect(verify.code, verify.stderr).toBe(0);
      const report = JSON.parse(verify.stdout);
      expect(report.ok).toBe(true);
      expect(report.policy.threshold).toBe(2);
      expect(report.commits[0]).toMatchObject({ commit: target.id, met: true, count: 2 });
      expect([...report.commits[0].signers].sort()).toEqual([alice, bob].sort());
    });

    await bobPage.context().close();
  } finally {
    tmp.remove();
  }
});
