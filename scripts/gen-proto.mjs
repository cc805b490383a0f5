// Generates TypeScript types for proto/ with @grpc/proto-loader's generator. The load
// options below must match PROTO_LOADER_OPTIONS in services/contract/src/proto.ts.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = `${root}services/contract/src/gen`;
rmSync(outDir, { recursive: true, force: true });
execFileSync(
  process.execPath,
  [
    `${root}node_modules/@grpc/proto-loader/build/bin/proto-loader-gen-types.js`,
    '--grpcLib=@grpc/grpc-js',
    '--longs=Number',
    '--enums=String',
    '--defaults',
    '--oneofs',
    '--includeComments',
    '--importFileExtension=.js',
    `--includeDirs=${root}proto`,
    `--outDir=${outDir}`,
    'patient/v1/patient.proto',
  ],
  { stdio: 'inherit' },
);
