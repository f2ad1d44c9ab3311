import { defineConfig, devices } from '@playwright/test';
import { BASE_URL, OUTPUT_DIR } from './tests/e2e/support/env.mjs';

/**
 * End-to-end tests: the production build of the app, driven in Debian's Chromium with the
 * DevTools virtual authenticator, at phone size (Pixel 7) and desktop size.
 *
 * One worker: the tests share one server and its data (users, the demo remote's notes), and the
 * machine has two cores, one of which the server needs.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/lib/chromium/chromium';

export default defineConfig({
  testDir: 'tests/e2e',
  outputDir: `${OUTPUT_DIR}/playwright`,
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [['list']],
  timeout: 90_000,
  expect: { timeout: 10_000 },
  use: {
    baseURL: BASE_URL,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    actionTimeout: 15_000,
    navigationTimeout: 30_000,
    launchOptions: {
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        // Nothing but the app: no lookups, updates or sync traffic from the browser itself.
        '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  projects: [
    { name: 'phone', use: { ...devices['Pixel 7'], browserName: 'chromium' } },
    { name: 'desktop', use: { ...devices['Desktop Chrome'], viewport: { width: 1280, height: 800 } } },
  ],
  webServer: {
    command: 'node tests/e2e/support/start-server.mjs',
    url: `${BASE_URL}/api/signers`,
    // Never reused: the tests expect a fresh data dir (nobody enrolled, no signatures yet).
    // E2E_SKIP_BUILD=1 skips the build when iterating on the tests themselves.
    reuseExistingServer: false,
    timeout: 300_000,
    stdout: 'ignore',
    stderr: 'pipe',
    gracefulShutdown: { signal: 'SIGTERM', timeout: 5_000 },
  },
});
