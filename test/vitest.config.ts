import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/buildOnce.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Tests that start processes, brokers and pseudo-terminals share 2 cores; keep them calm.
    maxWorkers: 2,
  },
});
