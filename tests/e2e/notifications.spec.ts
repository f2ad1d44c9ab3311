import type { Page, Worker } from '@playwright/test';
import { startPushService, type PushService } from '../integration/notify-push-service';
import { expect, test } from './support/fixtures';
import { countersign, demoCommits, invite, pendingCopy, remoteNoteLines, trustSigners } from './support/app';
import { BASE_URL } from './support/env.mjs';
import { addVirtualPasskey } from './support/passkey';

/**
 * Notifications on a phone: the switch on the Devices page (permission asked only from the tap),
 * a review request pushed through a push service (a local one that decrypts and checks what the
 * server sent), the service worker showing it, a tap opening the review, Approve, published —
 * and the time from push to published. Chromium's own pushManager.subscribe() needs Google's
 * push service, which these tests cannot reach: the page is handed the subscription the local
 * push service made, and DevTools' ServiceWorker.deliverPushMessage plays the push service's
 * last hop into the browser.
 */
let push: PushService;
test.beforeAll(async () => {
  push = await startPushService();
});
test.afterAll(async () => {
  await push?.close();
});

/** The subscription a push service would hand this browser; kept across page loads like a real one. */
async function handOutSubscription(page: Page, sub: { endpoint: string; keys: { p256dh: string; auth: string } }) {
  await page.addInitScript((s) => {
    const w = window as any;
    w.__permissionAsks = 0;
    const ask = Notification.requestPermission.bind(Notification);
    Notification.requestPermission = ((...a: any[]) => {
      w.__permissionAsks++;
      return (ask as any)(...a);
    }) as any;
    const made = () => ({
      endpoint: s.endpoint,
      expirationTime: null,
      options: { userVisibleOnly: true },
      getKey: () => null,
      toJSON: () => ({ endpoint: s.endpoint, expirationTime: null, keys: s.keys }),
      unsubscribe: async () => {
        localStorage.removeItem('test-push-subscribed');
        return true;
      },
    });
    PushManager.prototype.subscribe = async function () {
      localStorage.setItem('test-push-subscribed', '1');
      return made() as any;
    };
    PushManager.prototype.getSubscription = async function () {
      return (localStorage.getItem('test-push-subscribed') ? made() : null) as any;
    };
  }, sub);
}

async function serviceWorker(page: Page): Promise<Worker> {
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  return page.context().serviceWorkers().find((w) => w.url().endsWith('/sw.js')) ?? (await page.context().waitForEvent('serviceworker'));
}

test('a review request → push → tap → approve → published; the switch asks permission only when tapped', async ({ page, context }, testInfo) => {
  test.skip(testInfo.project.name !== 'phone', 'one phone walks it');
  const email = 'nina.phone@e2e.test';
  const sub = push.subscription('nina');
  await context.grantPermissions(['notifications']);
  await addVirtualPasskey(page);
  await handOutSubscription(page, sub);

  await test.step('Nina enrols; a maintainer trusts her key, so review requests are for her', async () => {
    await page.goto(await invite(email));
    await page.getByLabel('Device name').fill('Nina phone');
    await page.getByRole('button', { name: 'Create passkey' }).click();
    await expect(page.getByRole('heading', { name: 'Passkey created' })).toBeVisible();
    const line = (await page.locator('pre').filter({ hasText: /^nina\.phone@e2e\.test namespaces="/ }).innerText()).trim();
    await trustSigners([line], 'Trust Nina');
  });

  await test.step('the Devices page offers the switch without asking for permission; a tap turns notifications on', async () => {
    await page.goto('/devices');
    const toggle = page.getByRole('switch', { name: 'Notifications on this browser' });
    await expect(toggle).toHaveText('Turn on');
    await expect(toggle).toBeEnabled();
    expect(await page.evaluate(() => (window as any).__permissionAsks)).toBe(0);
    await toggle.click();
    await expect(page.getByRole('status').filter({ hasText: 'Notifications are on for this browser.' })).toBeVisible();
    expect(await page.evaluate(() => (window as any).__permissionAsks)).toBe(1);
    await page.reload();
    await expect(page.getByRole('switch', { name: 'Notifications on this browser' })).toHaveText('Turn off');
    expect(await page.evaluate(() => (window as any).__permissionAsks)).toBe(0);
  });

  const commits = await demoCommits();
  const target = await pendingCopy(commits[commits.length - 1], 'notify-phone');
  let delivered = 0;
  const sw = await serviceWorker(page);

  await test.step('a request is made; the server pushes it; the service worker shows it', async () => {
    const asked = await countersign(['request', '--repo', 'demo', target.id]);
    expect(asked.code, asked.stderr).toBe(0);
    await push.waitFor((r) => r.some((p) => p.path === '/push/nina' && p.payload.kind === 'review-request'), 20_000);
    expect(push.problems).toEqual([]);
    const msg = push.received.find((p) => p.path === '/push/nina' && p.payload.kind === 'review-request')!;
    expect(msg.payload).toMatchObject({ title: 'Review requested: demo', url: `/r/demo/${target.id}` });
    expect(msg.payload.body).toContain(target.title);

    const cdp = await context.newCDPSession(page);
    const registration = new Promise<string>((resolve) => {
      cdp.on('ServiceWorker.workerRegistrationUpdated', (e: any) => {
        const r = e.registrations.find((x: any) => x.scopeURL === `${BASE_URL}/` && !x.isDeleted);
        if (r) resolve(r.registrationId);
      });
    });
    await cdp.send('ServiceWorker.enable');
    const registrationId = await registration;
    delivered = Date.now();
    await cdp.send('ServiceWorker.deliverPushMessage', { origin: BASE_URL, registrationId, data: JSON.stringify(msg.payload) });
    await expect
      .poll(() => sw.evaluate(() => (self as any).registration.getNotifications().then((ns: any[]) => ns.map((n) => ({ title: n.title, body: n.body, url: n.data?.url })))))
      .toEqual([{ title: 'Review requested: demo', body: msg.payload.body, url: `/r/demo/${target.id}` }]);
  });

  await test.step('a tap on it opens the review in the open window; Approve; published', async () => {
    const shown = Date.now() - delivered;
    await sw.evaluate(async () => {
      const g = self as any;
      const [n] = await g.registration.getNotifications();
      g.dispatchEvent(new g.NotificationEvent('notificationclick', { notification: n }));
    });
    await page.waitForURL(`**/r/demo/${target.id}`);
    const approveButton = page.getByRole('button', { name: 'Approve', exact: true });
    await expect(approveButton).toBeEnabled();
    const opened = Date.now() - delivered;
    await approveButton.click();
    await expect(page.getByRole('status').getByRole('listitem')).toHaveText([/Signed$/, /Saved$/, /Published$/]);
    const ms = Date.now() - delivered;
    console.log(`notifications e2e: push delivered → published in ${ms} ms (shown ${shown} ms, review open ${opened} ms)`);
    test.info().annotations.push({ type: 'push-to-published-ms', description: String(ms) });
    expect(await remoteNoteLines(target.id)).toHaveLength(1);
    expect(await sw.evaluate(() => (self as any).registration.getNotifications().then((ns: any[]) => ns.length))).toBe(0); // closed by the tap
  });

  await test.step("her own approval sets off the alarm on her devices (what she'd see if she had not made it)", async () => {
    await push.waitFor((r) => r.some((p) => p.path === '/push/nina' && p.payload.kind === 'signature-alarm'), 20_000);
    const alarm = push.received.find((p) => p.payload.kind === 'signature-alarm')!;
    expect(alarm.payload.body).toMatch(new RegExp(`^Your passkey "Nina phone" approved demo ${target.id.slice(0, 7)} at \\d\\d:\\d\\d UTC`));
  });

  await test.step('on an iPhone outside the Home Screen the page explains how to get notifications', async () => {
    const iphone = await context.newPage();
    await iphone.addInitScript(() => {
      Object.defineProperty(navigator, 'userAgent', { get: () => 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1' });
    });
    await iphone.goto('/devices');
    await expect(iphone.getByTestId('install-first')).toContainText('Add to Home Screen');
    await expect(iphone.getByRole('switch', { name: 'Notifications on this browser' })).toHaveCount(0);
    await iphone.close();
  });
});
