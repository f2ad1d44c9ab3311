/**
 * Next.js start-up hook: opens the app once when the server starts (configuration checked,
 * database migrated, demo repository created, clones fetched) so that a bad configuration is a
 * clear message at start rather than on the first request, and the first admin's invite URL is
 * printed right away. The work lives in lib/server/startup.ts (Node.js only).
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  if (process.env.NEXT_PHASE === 'phase-production-build') return;
  const { startServer } = await import('./lib/server/startup');
  await startServer();
}
