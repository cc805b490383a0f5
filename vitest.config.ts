import { defineConfig } from 'vitest/config';

// Tiers: unit tests beside the code (in-process, fast), store tests beside the code on the
// embedded PostgreSQL (`*.pglite.test.ts`), cross-process integration, lifecycle and fault
// tests under tests/ (built services, real PostgreSQL), and chart tests (helm).
// The project runs on Node 24 (the `node` devDependency); `npm test` / `make test` put it
// first on PATH. Tests spawn `process.execPath`, so an older node must not run them.
if (Number(process.versions.node.split('.')[0]) < 24)
  throw new Error(`Node ${process.version} is too old: run the tests with \`npm test\` or \`make test\` (Node 24)`);

/** The floor under the unit tier's coverage of services/ (percent); raise it as tests grow. */
const COVERAGE_FLOOR = { lines: 55, statements: 55, functions: 55, branches: 55 };

export default defineConfig({
  test: {
    // In-process coverage of the services' code (`--coverage`): what the unit tier reaches.
    // The process-level suites run the services as child processes, which it does not see.
    coverage: {
      provider: 'v8',
      include: ['services/*/src/**/*.ts'],
      exclude: ['**/*.test.ts', '**/gen/**', '**/testing/**'],
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: '.data/coverage',
      thresholds: COVERAGE_FLOOR,
    },
    projects: [
      {
        test: {
          name: 'unit',
          sequence: { groupOrder: 0 },
          // A hang detector, not a speed limit: a CPU-bound test on a machine whose cores
          // other work takes can run several times slower than on a quiet one.
          testTimeout: 30_000,
          // Files share a worker's module cache: importing grpc-js, OpenTelemetry and express
          // once per worker instead of once per file is most of this tier's time.
          isolate: false,
          include: ['services/*/src/**/*.test.ts', 'scripts/**/*.test.ts'],
          exclude: ['**/*.pglite.test.ts', '**/node_modules/**'],
        },
      },
      {
        test: {
          // Store code beside it, on the embedded PostgreSQL (PGlite, in-process): seconds a file.
          name: 'pglite',
          sequence: { groupOrder: 0 },
          include: ['services/*/src/**/*.pglite.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          sequence: { groupOrder: 1 },
          include: ['tests/integration/**/*.test.ts'],
          globalSetup: ['tests/support/postgresGlobalSetup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Suites start real processes; two at a time suits a 2-core machine.
          maxWorkers: 2,
        },
      },
      {
        test: {
          name: 'lifecycle',
          sequence: { groupOrder: 3 },
          include: ['tests/lifecycle/**/*.test.ts'],
          globalSetup: ['tests/support/postgresGlobalSetup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Load tests: one file at a time, so their timings do not disturb each other.
          maxWorkers: 1,
        },
      },
      {
        test: {
          name: 'faults',
          sequence: { groupOrder: 4 },
          include: ['tests/faults/**/*.test.ts'],
          // Each row runs its own PostgreSQL cluster(s), processes and load: one file at a time.
          testTimeout: 120_000,
          hookTimeout: 120_000,
          maxWorkers: 1,
        },
      },
      {
        test: {
          // Last: scans the output of every process the suites above started.
          name: 'logs',
          sequence: { groupOrder: 5 },
          include: ['tests/logs/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'charts',
          sequence: { groupOrder: 2 },
          include: ['tests/charts/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
