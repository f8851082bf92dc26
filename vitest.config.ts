import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The Debian programs the tests run: installed, or the run stops with the command to run.
    globalSetup: ['test/setup/requirements.ts'],
    // The reliability suite has its own command (npm run test:reliability, vitest.reliability.config.ts).
    exclude: ['test/reliability/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
