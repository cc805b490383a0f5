// Signing-key rotation without restarts: both services read the JWKS from a file (a mounted
// Secret, updated in place by the kubelet's symlink swap) and re-read it when it changes.
// A token of a newly added key verifies at patient-api and at patient-rpc; once a key is
// removed, its tokens stop verifying at both, cached verifications included.
import { renameSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { request } from '../support/http.ts';
import { runPythonClient } from '../support/python.ts';
import { apiEnv, rpcEnv, startService, testMesh, type ServiceProcess } from '../support/services.ts';
import { createTestKeys, type TestKeys } from '../support/tokens.ts';

let oldKey: TestKeys;
let newKey: TestKeys;
let rpc: ServiceProcess;
let api: ServiceProcess;
let jwksFile: string;

const writeJwks = (...keys: TestKeys[]) => {
  writeFileSync(`${jwksFile}.next`, JSON.stringify({ keys: keys.map((k) => k.publicJwk) }));
  renameSync(`${jwksFile}.next`, jwksFile);
};
const reloaded = (service: ServiceProcess, kids: string[]) => {
  const from = service.logs.length;
  return service.waitForLog(
    (r) =>
      service.logs.indexOf(r) >= from &&
      r.msg === 'jwks reloaded' &&
      JSON.stringify(r['kids']) === JSON.stringify(kids),
  );
};
const status = async (token: string) =>
  (await request(`http://127.0.0.1:${api.ports.http}/api/v1/patients?limit=1`, { token })).status;
/** What patient-rpc itself answers to `token`, called with patient-api's certificate. */
const rpcAnswer = async (token: string) => {
  const result = await runPythonClient<Record<string, Record<string, string>>>('probe_client.py', {
    target: `127.0.0.1:${rpc.ports.grpc}`,
    patientId: '00000000-0000-7000-8000-000000000000',
    cases: [
      {
        name: 'api',
        tls: { ca: testMesh.api.caFile, cert: testMesh.api.certFile, key: testMesh.api.keyFile },
        metadata: [['authorization', `Bearer ${token}`]],
      },
    ],
  });
  return result['api']!['ListPatients'];
};

beforeAll(async () => {
  oldKey = await createTestKeys('key-2026-11');
  newKey = await createTestKeys('key-2026-12');
  jwksFile = oldKey.jwksFile;
  const refresh = { PM_AUTH__JWKS_REFRESH_SECONDS: '1' };
  rpc = await startService('patient-rpc', { env: rpcEnv(jwksFile, { ...refresh, PM_SEED__PATIENTS: '2' }) });
  api = await startService('patient-api', { env: apiEnv(`127.0.0.1:${rpc.ports.grpc}`, jwksFile, refresh) });
});
afterAll(async () => {
  expect(await api?.stop()).toBe(0);
  expect(await rpc?.stop()).toBe(0);
});

it('verifies a newly added key and stops verifying a removed one, at both services', async () => {
  const [oldToken, newToken] = [await oldKey.token(), await newKey.token()];
  expect(await status(oldToken)).toBe(200);
  expect(await status(newToken)).toBe(401);

  const both = [reloaded(api, ['key-2026-11', 'key-2026-12']), reloaded(rpc, ['key-2026-11', 'key-2026-12'])];
  writeJwks(oldKey, newKey);
  await Promise.all(both);
  expect(await status(newToken)).toBe(200);
  expect(await rpcAnswer(newToken)).toBe('OK');

  const onlyNew = [reloaded(api, ['key-2026-12']), reloaded(rpc, ['key-2026-12'])];
  writeJwks(newKey);
  await Promise.all(onlyNew);
  expect(await status(oldToken)).toBe(401); // verified (and cached) before: dropped on reload
  expect(await rpcAnswer(oldToken)).toBe('UNAUTHENTICATED');
  expect(await status(newToken)).toBe(200);
});
