/**
 * Where the end-to-end server lives, shared by playwright.config.ts, the server starter and the
 * tests (which run the CLI against the same data dir, as a user on the server's machine would).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const PORT = 3100;
export const BASE_URL = `http://localhost:${PORT}`;
export const DIST_DIR = '.next-e2e';
export const OUTPUT_DIR = path.join(ROOT, 'test-output');
export const DATA_DIR = path.join(OUTPUT_DIR, 'e2e-data');
export const SCREENS_DIR = path.join(OUTPUT_DIR, 'screens');

/** The server's configuration, by environment (README "Configuration"). */
export const E2E_ENV = {
  COUNTERSIGN_DATA_DIR: DATA_DIR,
  COUNTERSIGN_ORIGINS: BASE_URL,
  PORT: String(PORT),
  NEXT_DIST_DIR: DIST_DIR,
  NEXT_TELEMETRY_DISABLED: '1',
};
