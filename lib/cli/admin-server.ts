/**
 * What the admin commands (invite, request) need of the server: its configuration and its store
 * (PGlite or PostgreSQL). Only lib/cli/admin.ts imports this, lazily; the one-file CLI swaps it
 * for admin-server.bundle.ts (see scripts/build-cli.mjs), so a bot's download carries no database.
 */
export const available = true;
export { runAdminOperation } from '../server/app';
export { loadConfig } from '../config/config';
