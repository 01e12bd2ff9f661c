import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 90_000,
    pool: 'forks',
    // Two cores: more parallel JVMs and sessions only add noise to timing-based fault tests.
    // (`npm test` also runs the heavy chaos suite on its own, after everything else.)
    maxWorkers: 2,
    // Under CI, also write a JSON summary so .ci/run can print a plain 'N passed, N failed' line.
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: process.env.CI ? { json: process.env.VITEST_JSON ?? 'test-results.json' } : undefined,
    projects: [
      // Pure logic: no server is started for these.
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      // Everything that talks to real servers shares one ZooKeeper the global setup starts.
      {
        extends: true,
        test: {
          name: 'servers',
          include: ['test/**/*.test.ts'],
          exclude: ['test/unit/**', 'test/chaos/**'],
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
      // The heavy fault runs: on their own, after everything else (`npm test` runs them last).
      { extends: true, test: { name: 'chaos', include: ['test/chaos/**/*.test.ts'], globalSetup: ['test/support/global-setup.ts'] } },
    ],
  },
});
