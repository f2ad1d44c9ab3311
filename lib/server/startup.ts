import { getApp } from './app';
import { installPeerAddressHook } from './client-address';

/**
 * What the Next.js start-up hook runs (Node.js runtime only): open the app at once, so a bad
 * configuration stops the server with one clear line and the first admin's invite is printed.
 */
export async function startServer(): Promise<void> {
  installPeerAddressHook(); // per-client rate limits key on the socket's address (./client-address.ts)
  try {
    const app = await getApp();
    console.log(
      `countersign: serving ${app.config.repositories.map((r) => r.name).join(', ')} from ${app.config.dataDir} ` +
        `(RP ID ${app.config.rpId}, origins ${app.config.origins.join(' ')})`,
    );
  } catch (e) {
    console.error(`countersign: cannot start: ${(e as Error).message}`);
    process.exit(1);
  }
}
