import { defineConfig } from 'vitest/config';

// Three projects: `unit` needs nothing outside the process (sandbox servers, synthesized JSON); `integration` gets a
// real PostgreSQL 16 and the Pub/Sub emulator started by the harness; `faults` kills processes and storms the chain.

/** What the projects that need PostgreSQL 16 and the Pub/Sub emulator share: the harness starts both once per project. */
const withServices = {
  globalSetup: ['test/harness/global-setup.ts', 'test/harness/pubsub-global-setup.ts'],
  hookTimeout: 180_000,
  pool: 'forks' as const,
  maxWorkers: 2,
};

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/infra/**/*.test.ts'],
          sequence: { groupOrder: 0 },
          testTimeout: 60_000,
        },
      },
      {
        test: {
          ...withServices,
          name: 'integration',
          sequence: { groupOrder: 1 },
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 120_000,
        },
      },
      {
        // Fault injection (killed children, storms, restarts): the slow third of the suite. `npm test` runs it;
        // `npm run test:fast` leaves it out for the edit-test loop.
        test: {
          ...withServices,
          name: 'faults',
          sequence: { groupOrder: 2 },
          include: ['test/faults/**/*.test.ts'],
          testTimeout: 180_000,
        },
      },
    ],
  },
});
