// An expired certificate on disk (cert-manager stuck, a Secret restored from a backup):
// the service keeps running, reports not ready with the reason, and becomes ready once a
// valid certificate replaces it, without a restart.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { API_ID, createTestMesh, RPC_ID, tlsEnv, type TestMesh } from '../support/mesh.ts';
import { apiEnv, rpcEnv, startService, type ServiceProcess } from '../support/services.ts';
import { createTestKeys, type TestKeys } from '../support/tokens.ts';

const HOUR = 3_600_000;
let mesh: TestMesh;
let keys: TestKeys;
const started: ServiceProcess[] = [];

beforeAll(async () => {
  mesh = await createTestMesh();
  keys = await createTestKeys();
});
afterAll(async () => {
  for (const service of started) expect(await service.stop()).toBe(0);
});

const readyz = async (service: ServiceProcess) => {
  const res = await fetch(`http://127.0.0.1:${service.ports.admin}/readyz`);
  return { status: res.status, body: await res.text() };
};
const expired = { notBefore: new Date(Date.now() - 2 * HOUR), notAfter: new Date(Date.now() - HOUR) };

it.each([
  ['patient-rpc', RPC_ID],
  ['patient-api', API_ID],
] as const)('%s: not ready with an expired certificate, no crash, ready once a valid one appears', async (name, id) => {
  const bad = await mesh.issue(id, expired);
  const volume = mesh.volume(bad);
  const env =
    name === 'patient-rpc'
      ? rpcEnv(keys.jwksFile, { ...tlsEnv(volume), PM_TLS__ALLOWED_CLIENTS: JSON.stringify([API_ID]) })
      : apiEnv('127.0.0.1:1', keys.jwksFile, {
          ...tlsEnv(volume),
          PM_TLS__SERVER_IDENTITIES: JSON.stringify([RPC_ID]),
        });
  const service = await startService(name, { env });
  started.push(service);

  expect(await service.waitForLog((r) => r.msg === 'tls material unusable')).toMatchObject({
    problem: expect.stringContaining(`certificate ${bad.serial} expired at`),
  });
  expect(await readyz(service)).toEqual({
    status: 503,
    body: expect.stringMatching(/^not ready: certificate [0-9A-F]+ expired at /),
  });
  expect((await fetch(`http://127.0.0.1:${service.ports.admin}/livez`)).status).toBe(200);

  const good = await mesh.issue(id);
  const loaded = service.waitForLog(
    (r) => r.msg === 'tls material loaded' && JSON.stringify(r['certificates']).includes(good.serial),
  );
  mesh.rotate(volume, good);
  await loaded;
  expect(await readyz(service)).toEqual({ status: 200, body: 'ready\n' });
});
