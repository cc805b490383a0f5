// The layering rules of eslint.layers.js, tried on imports each layer may and may not make.
import { Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { layers } from '../eslint.layers.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const linter = new Linter({ cwd: ROOT, configType: 'flat' });
const config = [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } }, ...layers];

/** The layering messages for one import in a file at `path`. */
const refusals = (path: string, specifier: string) =>
  linter.verify(`import x from '${specifier}';\nexport default x;\n`, config, `${ROOT}${path}`).map((m) => m.message);

const REFUSED: [string, string, string][] = [
  ['services/contract/src/schemas.ts', '@patient-mesh/runtime', 'contract imports nothing'],
  ['services/contract/src/proto.ts', 'pino', 'no transport, store, logging'],
  ['services/runtime/src/metrics.ts', '@patient-mesh/patient-rpc', 'knows no service'],
  ['services/runtime/src/lifecycle/Lifecycle.ts', '../../../patient-api/src/main.js', "another service's code"],
  ['services/patient-api/src/routes/patientRoutes.ts', 'pg', 'Only patient-rpc/src/store'],
  ['services/patient-api/src/main.ts', '../../patient-rpc/src/store/Db.js', "another service's code"],
  ['services/patient-rpc/src/main.ts', '@patient-mesh/patient-api', "another service's code"],
  ['services/patient-rpc/src/main.ts', '../../../tests/support/services.ts', 'tests, scripts or the benchmark'],
  ['services/patient-api/src/main.ts', '../../../scripts/dev.ts', 'tests, scripts or the benchmark'],
  ['services/patient-rpc/src/store/openPgDb.ts', '../grpc/storeFailure.js', 'domain outcomes'],
  ['services/patient-rpc/src/store/openPgDb.ts', '@grpc/grpc-js', 'domain outcomes'],
  ['services/patient-rpc/src/domain/scoring.ts', '@grpc/grpc-js', 'The domain is pure'],
  ['services/patient-rpc/src/domain/scoring.ts', '../store/Db.js', 'The domain is pure'],
  ['services/patient-rpc/src/domain/scoring.ts', 'pg', 'Only patient-rpc/src/store'],
];

const ALLOWED: [string, string][] = [
  ['services/contract/src/proto.ts', '@grpc/proto-loader'],
  ['services/runtime/src/auth/createTokenVerifier.ts', '@patient-mesh/contract'],
  ['services/patient-api/src/main.ts', '@patient-mesh/runtime'],
  ['services/patient-rpc/src/store/openPgDb.ts', 'pg'],
  ['services/patient-rpc/src/grpc/server.ts', '../store/Db.js'],
  ['services/patient-rpc/src/domain/scoring.ts', '@patient-mesh/contract'],
  // Tests beside the code may use the test support.
  ['services/patient-rpc/src/main.test.ts', '../../../tests/support/services.ts'],
];

describe('layering (eslint.layers.js)', () => {
  it.each(REFUSED)('%s may not import %s', (path, specifier, why) => {
    expect(refusals(path, specifier).join('\n')).toContain(why);
  });

  it.each(ALLOWED)('%s may import %s', (path, specifier) => {
    expect(refusals(path, specifier)).toEqual([]);
  });
});
