// The reliability suite (npm run test:reliability): kill -9 rounds, broker outages, lock faults and
// malformed requests, each against real parts. Minutes, not seconds: not part of `npm test`.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/reliability/**/*.test.ts'],
    globalSetup: ['test/setup/requirements.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One at a time: each file runs daemons, brokers and ptys, and measures nothing but outcomes.
    fileParallelism: false,
  },
});
