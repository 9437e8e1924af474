import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'common/**/*.test.ts', 'relay/**/*.test.ts', 'desktop/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Builds the UI for the browser tests (desktop/test/ui) when it is missing or stale.
    globalSetup: ['desktop/test/ui/global-setup.ts'],
  },
});
