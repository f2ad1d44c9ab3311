import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['lib/**/*.test.ts', 'tests/unit/**/*.test.ts', 'tests/integration/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Tests make real commits; a fresh machine (CI) has no git identity configured.
    env: {
      GIT_AUTHOR_NAME: 'Countersign Test',
      GIT_AUTHOR_EMAIL: 'author@countersign.invalid',
      GIT_COMMITTER_NAME: 'Countersign Test',
      GIT_COMMITTER_EMAIL: 'author@countersign.invalid',
      NEXT_TELEMETRY_DISABLED: '1',
    },
  },
  resolve: { alias: { '@': new URL('./', import.meta.url).pathname } },
});
