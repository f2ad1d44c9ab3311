import { test as base, type Browser, type BrowserContext, type Page, type TestInfo } from '@playwright/test';

/**
 * Every person in these tests is on their own device, so each browser context reaches the
 * server from its own address, as it would through the reverse proxy the README deploys behind
 * (which sets X-Forwarded-For). Without this, all of them would share one client address and
 * one budget of the authentication endpoints' per-client rate limit (30 a minute).
 */
let people = 0;

function nextAddress(testInfo: TestInfo): string {
  people++;
  return `198.51.${100 + (testInfo.workerIndex % 100)}.${people % 250 + 1}`;
}

export const test = base.extend({
  extraHTTPHeaders: async ({ extraHTTPHeaders }, use, testInfo) => {
    await use({ ...extraHTTPHeaders, 'x-forwarded-for': nextAddress(testInfo) });
  },
});

export { expect } from '@playwright/test';

/** Another person: a separate browser context of the same device type, from another address. */
export async function newPersonPage(browser: Browser, testInfo: TestInfo): Promise<Page> {
  const { viewport, userAgent, deviceScaleFactor, isMobile, hasTouch, baseURL } = testInfo.project.use;
  const context: BrowserContext = await browser.newContext({
    viewport,
    userAgent,
    deviceScaleFactor,
    isMobile,
    hasTouch,
    baseURL,
    extraHTTPHeaders: { 'x-forwarded-for': nextAddress(testInfo) },
  });
  return context.newPage();
}
