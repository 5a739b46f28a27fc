import { defineConfig } from 'vitest/config';

// Two projects: `unit` (pure logic beside the code, the architecture checks and the catalog generator, in parallel
// threads) and `integration` (test/, against the real Kafka, PostgreSQL, Redis and Mosquitto that
// test/global-setup.ts brings up).
export default defineConfig({
  test: {
    reporters: process.env.CI ? ['default'] : ['default'],
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'services/*/src/**/*.test.ts',
            'services/core/*/src/**/*.test.ts',
            'test/architecture/**/*.test.ts',
            'signal-catalog/generator/**/*.test.ts',
            'bench/**/*.test.ts',
          ],
          environment: 'node',
          pool: 'threads',
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: ['test/architecture/**'],
          environment: 'node',
          pool: 'forks',
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
