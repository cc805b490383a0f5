// patient-api's HTTP drain under keep-alive load: two replicas behind a kube-proxy-like
// forwarder; one leaves the forwarder, then gets SIGTERM. With the drain, no request
// fails; with a plain `server.close()` (the negative control) some do.
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startForwarder, type Forwarder } from '../support/forwarder.ts';
import { request } from '../support/http.ts';
import { apiEnv, rpcEnv, startService, type ServiceProcess } from '../support/services.ts';
import { createTestKeys, type TestKeys } from '../support/tokens.ts';
import { LOAD_TEST_API_ENV, startLoad } from './harness/loadGenerator.ts';

const SHUTDOWN_TIMEOUT_SECONDS = 10;
const CONNECTIONS = 32;

let keys: TestKeys;
let token: string;
let rpc: ServiceProcess;
let patientId: string;
const started: ServiceProcess[] = [];

beforeAll(async () => {
  keys = await createTestKeys();
  token = await keys.token({ sub: 'dr-drain', roles: ['clinician'] });
  rpc = await startService('patient-rpc', { env: rpcEnv(keys.jwksFile, { PM_SEED__PATIENTS: '5' }) });
  const api = await startApi();
  const list = await request(`http://127.0.0.1:${api.ports.http}/api/v1/patients?limit=1`, { token });
  patientId = list.body.items[0].id;
  expect(await api.stop()).toBe(0);
});

afterAll(async () => {
  for (const service of started) await service.stop('SIGKILL');
  await rpc?.stop();
});

async function startApi(extra: Record<string, string> = {}): Promise<ServiceProcess> {
  const api = await startService('patient-api', {
    env: apiEnv(`127.0.0.1:${rpc.ports.grpc}`, keys.jwksFile, {
      PM_LIFECYCLE__SHUTDOWN_TIMEOUT_SECONDS: String(SHUTDOWN_TIMEOUT_SECONDS),
      ...LOAD_TEST_API_ENV,
      ...extra,
    }),
  });
  started.push(api);
  return api;
}

interface Outcome {
  sent: number;
  failed: number;
  failures: unknown[];
  exitCode: number | null;
  drainMs: number;
  connectionsOpened: number;
}

/** Two replicas behind the forwarder, bounded load; replica A leaves the forwarder, then gets SIGTERM. */
async function drainUnderLoad(extraForA: Record<string, string>): Promise<Outcome> {
  const [a, b] = await Promise.all([startApi(extraForA), startApi()]);
  const backendA = { host: '127.0.0.1', port: a.ports.http! };
  const backendB = { host: '127.0.0.1', port: b.ports.http! };
  const forwarder: Forwarder = await startForwarder([backendA, backendB]);
  try {
    const load = startLoad({
      url: `http://${forwarder.host}:${forwarder.port}/api/v1/patients/${patientId}`,
      headers: { authorization: `Bearer ${token}` },
      connections: CONNECTIONS,
      durationMs: 30_000,
      maxRequests: 200_000,
    });
    // Both replicas hold pinned keep-alive connections once the load is going.
    await load.okCount(CONNECTIONS * 10);
    expect(forwarder.accepted.get(`127.0.0.1:${backendA.port}`)).toBeGreaterThan(0);

    forwarder.setBackends([backendB]); // endpoint removed: only new connections see it
    const t0 = performance.now();
    const exitCode = await a.stop('SIGTERM');
    const drainMs = performance.now() - t0;
    // Load goes on after the exit until as many requests again have succeeded, then stops.
    await load.okCount(load.ok + CONNECTIONS * 10);
    load.stop();
    const result = await load.result;
    expect(await b.stop()).toBe(0);
    return {
      sent: result.sent,
      failed: result.failed,
      failures: result.failures,
      exitCode,
      drainMs,
      connectionsOpened: result.connectionsOpened,
    };
  } finally {
    await forwarder.close();
  }
}

describe('patient-api drain behind an L4 forwarder', () => {
  it('loses no request when a replica drains under keep-alive load', async () => {
    const outcome = await drainUnderLoad({});
    console.info(`drain: sent ${outcome.sent}, failed ${outcome.failed}, drain ${Math.round(outcome.drainMs)} ms`);
    expect(outcome.failures).toEqual([]);
    expect(outcome.failed).toBe(0);
    expect(outcome.sent).toBeGreaterThan(CONNECTIONS * 10);
    expect(outcome.exitCode).toBe(0);
    expect(outcome.drainMs).toBeLessThan(SHUTDOWN_TIMEOUT_SECONDS * 1000);
    // The drained replica's connections were closed by responses and reopened to the other.
    expect(outcome.connectionsOpened).toBeGreaterThan(CONNECTIONS);
  });

  it('negative control: a plain server.close() drain fails requests under the same load', async () => {
    const outcome = await drainUnderLoad({ PM_TEST_DISABLE_DRAIN: '1' });
    console.info(
      `server.close() drain: sent ${outcome.sent}, failed ${outcome.failed}, exit ${outcome.exitCode}; ` +
        `first failures ${JSON.stringify(outcome.failures.slice(0, 2))}`,
    );
    expect(outcome.failed).toBeGreaterThan(0);
  });
});

/** A request whose body never arrives: the server has it (100 Continue) and waits forever. */
async function hangRequest(api: ServiceProcess): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port: api.ports.http! });
  await once(socket, 'connect');
  socket.write(
    [
      'POST /api/v1/patients HTTP/1.1',
      'Host: 127.0.0.1',
      `Authorization: Bearer ${token}`,
      'Content-Type: application/json',
      'Content-Length: 1000',
      'Expect: 100-continue',
      '',
      '',
    ].join('\r\n'),
  );
  let seen = '';
  socket.setEncoding('utf8');
  while (!seen.includes('100 Continue')) seen += String((await once(socket, 'data'))[0]);
  socket.write('{"trialId":');
  socket.on('error', () => {});
  return socket;
}

describe('patient-api shutdown limits', () => {
  it('past shutdownTimeout cuts the hung request, logs it and exits 1', async () => {
    const api = await startApi({ PM_LIFECYCLE__SHUTDOWN_TIMEOUT_SECONDS: '2' });
    const socket = await hangRequest(api);
    const t0 = performance.now();
    const code = await api.stop('SIGTERM');
    const elapsed = performance.now() - t0;
    expect(code).toBe(1);
    expect(elapsed).toBeGreaterThanOrEqual(1900);
    expect(elapsed).toBeLessThan(4500);
    const timedOut = api.logs.find((r) => r.msg === 'shutdown timed out, forcing exit');
    expect(timedOut).toMatchObject({ level: 'error', cutOff: ['http'] });
    expect(api.logs.find((r) => r.msg === 'drain cut connections')).toMatchObject({
      server: 'http',
      requestsCut: 1,
      socketsClosed: 1,
    });
    socket.destroy();
  });

  it('a second SIGTERM exits at once', async () => {
    const api = await startApi();
    const socket = await hangRequest(api);
    api.child.kill('SIGTERM');
    await api.waitForLog((r) => r.msg === 'draining', 5000);
    const t0 = performance.now();
    api.child.kill('SIGTERM');
    const code = await api.exited;
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(code).toBe(143);
    expect(api.logs.some((r) => r.msg === 'second signal, exiting at once')).toBe(true);
    socket.destroy();
  });
});
