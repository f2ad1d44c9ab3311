/**
 * Stands in for admin-server.ts in dist/countersign.mjs (scripts/build-cli.mjs): the one-file CLI
 * verifies, signs and audits; the server's store and configuration are left out of it.
 */
export const available = false;
export const runAdminOperation = undefined;
export const loadConfig = undefined;
