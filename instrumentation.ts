/**
 * Next.js start-up hook: opens the app once when the server starts (configuration checked,
 * database migrated, demo repository created, clones fetched) so that a bad configuration is a
 * clear message at start rather than on the first request, and so the first admin's invite URL
 * is printed right away.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  if (process.env.NEXT_PHASE === 'phase-production-build') return;
  const { getApp } = await import('./lib/app/app');
  try {
    const app = await getApp();
    console.log(`countersign: serving ${app.config.repositories.map((r) => r.name).join(', ')} from ${app.config.dataDir} (RP ID ${app.config.rpId}, origins ${app.config.origins.join(' ')})`);
  } catch (e) {
    console.error(`countersign: cannot start: ${(e as Error).message}`);
    process.exit(1);
  }
}
