import { CountersignError } from '../errors';

/**
 * Loads the server's configuration and store for an admin command, only when one runs: `--help`,
 * `verify` and the other bot commands never load PGlite, pg or zod. In the one-file CLI they are
 * absent (admin-server.bundle.ts), and the command says where to run it instead.
 */
export async function loadAdmin(command: string) {
  const m = await import('./admin-server');
  if (!m.available || !m.runAdminOperation || !m.loadConfig) {
    throw new CountersignError(
      'tool-failed',
      `${command} works on the server's database, which the one-file CLI does not include: run \`npx countersign ${command} …\` ` +
        `from the Countersign installation of the server (a clone with \`npm install\` done), with the server's configuration`,
    );
  }
  return { runAdminOperation: m.runAdminOperation, loadConfig: m.loadConfig };
}
