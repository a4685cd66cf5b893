import { defineConfig } from 'vitest/config';

// The integration suites: each file starts its own server processes (built
// from dist/, so `make build` first) on free loopback ports.
export default defineConfig({
  test: {
    include: ['test/integration/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
