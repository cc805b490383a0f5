// patient-rpc's gRPC drain under load: three replicas on 127.0.0.2-4 with one port (like
// pods), one shared PostgreSQL, patient-api balancing over a static list. One replica gets
// SIGTERM: health NOT_SERVING, GOAWAY, in-flight calls finish; the api moves its calls to
// the other two and no request fails.
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { request } from '../support/http.ts';
import { apiEnv, createDatabase, rpcEnv, startService, type ServiceProcess } from '../support/services.ts';
import { createTestKeys } from '../support/tokens.ts';
import { LOAD_TEST_API_ENV, startLoad } from './harness/loadGenerator.ts';
import { scrapeSum } from './harness/metrics.ts';

const HOSTS = ['127.0.0.2', '127.0.0.3', '127.0.0.4'] as const;
const SHUTDOWN_TIMEOUT_SECONDS = 10;
const CONNECTIONS = 32;

let rpcs: ServiceProcess[] = [];
let api: ServiceProcess;
let token: string;
let patientId: string;

async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  const keys = await createTestKeys();
  token = await keys.token({ sub: 'dr-grpc-drain', roles: ['clinician'] });
  const databaseUrl = await createDatabase(inject('postgresUrl'), `lifecycle_grpc_${Date.now()}`);
  const port = await freePort(HOSTS[0]);
  const startRpc = (host: string) =>
    startService('patient-rpc', {
      env: rpcEnv(keys.jwksFile, {
        PM_GRPC__HOST: host,
        PM_GRPC__PORT: String(port),
        PM_ADMIN__HOST: host,
        PM_DATABASE__URL: databaseUrl,
        PM_SEED__PATIENTS: '5',
        PM_LIFECYCLE__SHUTDOWN_TIMEOUT_SECONDS: String(SHUTDOWN_TIMEOUT_SECONDS),
      }),
    });
  // The first migrates and seeds; the others find the schema and the patients there.
  rpcs = [await startRpc(HOSTS[0])];
  rpcs.push(...(await Promise.all(HOSTS.slice(1).map(startRpc))));
  const target = `static:///${HOSTS.map((h) => `${h}:${port}`).join(',')}`;
  api = await startService('patient-api', { env: apiEnv(target, keys.jwksFile, LOAD_TEST_API_ENV) });
  const list = await request(`http://127.0.0.1:${api.ports.http}/api/v1/patients?limit=1`, { token });
  patientId = list.body.items[0].id;
});

afterAll(async () => {
  await api?.stop();
  for (const rpc of rpcs) await rpc.stop();
});

const adminUrl = (i: number) => `http://${HOSTS[i]}:${rpcs[i]!.ports.admin}`;
const handled = (i: number) => scrapeSum(adminUrl(i), 'grpc_server_handled_total', { grpc_method: 'GetPatient' });

describe('patient-rpc drain under load through patient-api', () => {
  it('loses no request when one of three replicas drains; the others take its share', async () => {
    const load = startLoad({
      url: `http://127.0.0.1:${api.ports.http}/api/v1/patients/${patientId}`,
      headers: { authorization: `Bearer ${token}` },
      connections: CONNECTIONS,
      durationMs: 30_000,
      maxRequests: 200_000,
    });
    await load.okCount(CONNECTIONS * 10);
    const before = await Promise.all([0, 1, 2].map(handled));
    // Round robin: every replica carries calls before the drain.
    for (const count of before) expect(count).toBeGreaterThan(0);

    const t0 = performance.now();
    const exitCode = await rpcs[1]!.stop('SIGTERM');
    const drainMs = performance.now() - t0;
    const afterDrain = await Promise.all([0, 2].map(handled));
    // Load goes on after the exit until as many requests again have succeeded, then stops.
    await load.okCount(load.ok + CONNECTIONS * 10);
    load.stop();
    const result = await load.result;
    const after = await Promise.all([0, 2].map(handled));

    expect(result.failures).toEqual([]);
    expect(result.failed).toBe(0);
    expect(exitCode).toBe(0);
    expect(drainMs).toBeLessThan(SHUTDOWN_TIMEOUT_SECONDS * 1000);
    expect(rpcs[1]!.logs.some((r) => r.msg === 'stopped')).toBe(true);
    // The two survivors served every call after the drain, split about evenly.
    const served = after.map((n, i) => n - afterDrain[i]!);
    for (const n of served) expect(n).toBeGreaterThan(0);
    const share = served[0]! / (served[0]! + served[1]!);
    expect(share).toBeGreaterThan(0.3);
    expect(share).toBeLessThan(0.7);
    console.info(
      `grpc drain: sent ${result.sent}, failed ${result.failed}, drain ${Math.round(drainMs)} ms, ` +
        `before ${before.join('/')}, after drain served ${served.join('/')}`,
    );
  });
});
