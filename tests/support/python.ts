// The independent gRPC clients in tests/integration/python (Python's grpcio, C core): they
// know only the public protos, compiled at run time from these directories.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './services.ts';

const run = promisify(execFile);

export const PYTHON_PROTO_DIRS = {
  protoDir: join(ROOT, 'proto'),
  healthDir: join(ROOT, 'node_modules/grpc-health-check/proto'),
  reflectionDir: join(ROOT, 'node_modules/@grpc/reflection/build/proto'),
};

/** Runs tests/integration/python/<script> with its JSON config and parses the JSON it prints. */
export async function runPythonClient<T>(script: 'standard_client.py' | 'probe_client.py', config: object): Promise<T> {
  const { stdout } = await run('/usr/bin/python3', [
    join(ROOT, 'tests/integration/python', script),
    JSON.stringify({ ...PYTHON_PROTO_DIRS, ...config }),
  ]);
  return JSON.parse(stdout) as T;
}
