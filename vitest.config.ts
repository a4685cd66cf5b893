import { defineConfig } from 'vitest/config';

// Unit, property and model-based tests. The integration suites start real
// server processes and run from vitest.integration.config.ts instead.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'model-tests/**/*.test.ts'],
    exclude: ['test/integration/**', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
