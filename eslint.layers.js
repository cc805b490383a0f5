// The layering of the services, as lint rules (`no-restricted-imports`, one block per
// folder). ESLint applies the last block that matches a file, so each block repeats the
// rules of the layers around it: `layer()` adds what every service file obeys.
//
//   contract   imports nothing of the project's own (the proto, schemas, scoring, roles)
//   runtime    the platform: imports contract, never a service
//   patient-api reaches data only through gRPC: no store, no patient-rpc code
//   patient-rpc domain/ is pure: no transport (grpc-js, express), no store, no I/O layers
//   store      never reaches up into grpc/
//   services never import tests/, scripts/ or bench/

const SERVICE_CODE = ['**/*.test.ts', '**/testing/**'];

const noOutsideCode = [
  {
    group: ['**/tests/**', '**/scripts/**', '**/bench/**'],
    message: 'Service code does not import tests, scripts or the benchmark.',
  },
];

const ourPackages = (allowed, message) => [
  {
    group: ['@patient-mesh/*', ...allowed.map((name) => `!@patient-mesh/${name}`)],
    message,
  },
];

const otherService = (name) => ({
  group: [`@patient-mesh/${name}`, `**/${name}/**`],
  message: `A service never imports another service's code (${name}): they meet only through the contract over gRPC.`,
});

const store = {
  group: ['pg', 'pg-*', '@electric-sql/*'],
  message: 'Only patient-rpc/src/store reaches the database.',
};

/** One block: the files, and every pattern they may not import. */
const layer = (files, patterns) => ({
  files,
  ignores: SERVICE_CODE,
  rules: { 'no-restricted-imports': ['error', { patterns: [...noOutsideCode, ...patterns] }] },
});

export const layers = [
  layer(
    ['services/contract/src/**/*.ts'],
    [
      ...ourPackages([], 'The contract imports nothing of the project: both services and the runtime depend on it.'),
      {
        group: [
          'express',
          'pino',
          'prom-client',
          'cockatiel',
          '@opentelemetry/*',
          '@kubernetes/*',
          'pg',
          '@electric-sql/*',
        ],
        message:
          'The contract is the proto, the schemas, scoring and roles: no transport, store, logging or telemetry.',
      },
    ],
  ),
  layer(
    ['services/runtime/src/**/*.ts'],
    [
      ...ourPackages(['contract'], 'The runtime knows no service: it may import the contract only.'),
      otherService('patient-api'),
      otherService('patient-rpc'),
      store,
    ],
  ),
  layer(['services/patient-api/src/**/*.ts'], [otherService('patient-rpc'), store]),
  layer(['services/patient-rpc/src/**/*.ts'], [otherService('patient-api')]),
  layer(
    ['services/patient-rpc/src/store/**/*.ts'],
    [
      otherService('patient-api'),
      {
        group: ['**/grpc/**', '@grpc/*'],
        message: 'The store returns domain outcomes; gRPC statuses are mapped in grpc/.',
      },
    ],
  ),
  layer(
    ['services/patient-rpc/src/domain/**/*.ts'],
    [
      otherService('patient-api'),
      store,
      {
        group: ['@grpc/*', 'express', '**/grpc/**', '**/store/**', '**/imports/**', '**/audit/**'],
        message: 'The domain is pure: no transport, no store, no I/O layer of the service.',
      },
    ],
  ),
];
