// Resilience through real processes: patient-rpc with fault injection driven over its
// admin endpoint, patient-api's cockatiel policies observed from outside (HTTP answers)
// and from inside (each service's /metrics).
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { request } from '../support/http.ts';
import { metricValue } from '../support/metrics.ts';
import { apiEnv, createDatabase, rpcEnv, startService, type ServiceProcess } from '../support/services.ts';
import { createTestKeys, type TestKeys } from '../support/tokens.ts';

const ADMIN_TOKEN = 'test-fault-token';
/** The breaker test's open time: long enough to send its fast failures in on a busy machine. */
const HALF_OPEN_AFTER_MS = 5000;

async function setFaults(rpc: ServiceProcess, faults: Record<string, unknown>): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${rpc.ports.admin}/faults`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  });
  expect(res.status, await res.text()).toBe(200);
}

describe('resilience policies', () => {
  let keys: TestKeys;
  const faultyRpc = (extra: Record<string, string> = {}) =>
    startService('patient-rpc', {
      env: rpcEnv(keys.jwksFile, {
        PM_SEED__PATIENTS: '3',
        PM_FAULTS__ENABLED: 'true',
        PM_FAULTS__ADMIN_TOKEN: ADMIN_TOKEN,
        ...extra,
      }),
    });
  let token: string;
  const processes: ServiceProcess[] = [];
  const api = async (rpc: ServiceProcess | string, env: Record<string, string> = {}) => {
    const target = typeof rpc === 'string' ? rpc : `127.0.0.1:${rpc.ports.grpc}`;
    const p = await startService('patient-api', { env: apiEnv(target, keys.jwksFile, env) });
    processes.push(p);
    return { process: p, base: `http://127.0.0.1:${p.ports.http}` };
  };
  const rpcArrivals = (rpc: ServiceProcess, method: string) =>
    metricValue(rpc.ports.admin, 'grpc_server_started_total', { grpc_method: method });

  beforeAll(async () => {
    keys = await createTestKeys();
    token = await keys.token();
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop('SIGKILL')));
  });

  it('refuses to enable fault injection in production', async () => {
    const rpc = await startService('patient-rpc', {
      env: rpcEnv(keys.jwksFile, { PM_FAULTS__ENABLED: 'true', PM_SERVICE__ENVIRONMENT: 'production' }),
      waitListening: false,
    });
    expect(await rpc.exited).toBe(78);
    expect(rpc.stderr()).toContain('faults.enabled');
    expect(rpc.stderr()).toContain('production');
  });

  it('rpc slower than the budget → 504 after about the budget, and rpc sees the cancellation', async () => {
    const rpc = await faultyRpc();
    processes.push(rpc);
    // Only the budget can end this call early: the attempt timeout is longer than the
    // injected latency, so a client that ignored the budget would answer 404 after it.
    const { base } = await api(rpc, { PM_HTTP__REQUEST_TIMEOUT_MS: '400', PM_RESILIENCE__ATTEMPT_TIMEOUT_MS: '60000' });
    await setFaults(rpc, { latencyMs: 3000, methods: ['GetPatient'] });
    const res = await request(`${base}/api/v1/patients/${randomUUID()}`, { token });
    expect(res.status).toBe(504);
    expect(res.body).toMatchObject({ reason: 'timeout', status: 504 });
    await expect
      .poll(() => metricValue(rpc.ports.admin, 'grpc_server_cancelled_total', { grpc_method: 'GetPatient' }), {
        timeout: 5000,
      })
      .toBeGreaterThanOrEqual(1);
  });

  it('on PostgreSQL, the request budget cancels the database statement it was waiting on', async () => {
    const databaseUrl = await createDatabase(inject('postgresUrl'), `res_${Date.now()}`);
    // No patient cache: the read must reach the (locked) table.
    const rpc = await startService('patient-rpc', {
      env: rpcEnv(keys.jwksFile, {
        PM_SEED__PATIENTS: '2',
        PM_DATABASE__URL: databaseUrl,
        PM_PATIENT_CACHE__MAX_ENTRIES: '0',
      }),
    });
    processes.push(rpc);
    const { base } = await api(rpc, { PM_HTTP__REQUEST_TIMEOUT_MS: '500', PM_RESILIENCE__RETRY__MAX_RETRIES: '0' });
    const id = (await request(`${base}/api/v1/patients?limit=1`, { token })).body.items[0].id;
    const locker = new pg.Client({ connectionString: databaseUrl });
    await locker.connect();
    const waiting = async () =>
      (
        await locker.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'SELECT id::text%'",
        )
      ).rows[0].n as number;
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE patients IN ACCESS EXCLUSIVE MODE');
      const res = await request(`${base}/api/v1/patients/${id}`, { token });
      expect(res.status).toBe(504);
      // The blocked SELECT is cancelled on the server, not left waiting for the lock.
      // (Waited for, not timed: a busy machine delivers the cancel later.)
      await expect.poll(waiting, { timeout: 20_000, interval: 50 }).toBe(0);
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
    expect((await request(`${base}/api/v1/patients/${id}`, { token })).status).toBe(200);
  });

  it('breaker opens at 60 % UNAVAILABLE, fails fast without reaching rpc, probes half-open and closes when healthy', async () => {
    const rpc = await faultyRpc();
    processes.push(rpc);
    const { base, process: apiProcess } = await api(rpc, {
      PM_RESILIENCE__RETRY__MAX_RETRIES: '0',
      PM_RESILIENCE__BREAKER__MINIMUM_REQUESTS: '20',
      PM_RESILIENCE__BREAKER__WINDOW_MS: '5000',
      PM_RESILIENCE__BREAKER__HALF_OPEN_AFTER_MS: String(HALF_OPEN_AFTER_MS),
    });
    const id = (await request(`${base}/api/v1/patients?limit=1`, { token })).body.items[0].id;
    await setFaults(rpc, { errorRate: 0.6, errorCode: 'UNAVAILABLE', methods: ['GetPatient'] });
    let opened = false;
    // The breaker opened after the last request that found it closed was sent.
    let closedAt = 0;
    for (let i = 0; i < 400 && !opened; i++) {
      const sentAt = performance.now();
      const res = await request(`${base}/api/v1/patients/${id}`, { token });
      opened = res.body?.reason === 'breaker_open';
      if (!opened) closedAt = sentAt;
    }
    expect(opened).toBe(true);
    expect(await metricValue(apiProcess.ports.admin, 'rpc_client_breaker_state')).toBe(2);

    // Until the half-open delay has passed, every answer is a fast 503 (a busy machine sends
    // fewer of them in that time; the requests sent are what is checked).
    const before = await rpcArrivals(rpc, 'GetPatient');
    let failedFast = 0;
    for (let i = 0; i < 20 && performance.now() - closedAt < HALF_OPEN_AFTER_MS - 500; i++) {
      const res = await request(`${base}/api/v1/patients/${id}`, { token });
      expect(res.status).toBe(503);
      expect(res.body.reason).toBe('breaker_open');
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      failedFast += 1;
    }
    expect(failedFast).toBeGreaterThan(0);
    expect(await rpcArrivals(rpc, 'GetPatient')).toBe(before);

    await setFaults(rpc, {});
    // After the half-open delay one probe goes through; its success closes the breaker.
    await expect
      .poll(async () => (await request(`${base}/api/v1/patients/${id}`, { token })).status, {
        timeout: HALF_OPEN_AFTER_MS + 15_000,
        interval: 100,
      })
      .toBe(200);
    expect(await rpcArrivals(rpc, 'GetPatient')).toBe(before + 1);
    expect(await metricValue(apiProcess.ports.admin, 'rpc_client_breaker_state')).toBe(0);
    for (const to of ['open', 'halfopen', 'closed'])
      expect(
        await metricValue(apiProcess.ports.admin, 'rpc_client_breaker_transitions_total', { to }),
      ).toBeGreaterThanOrEqual(1);
    for (let i = 0; i < 10; i++) expect((await request(`${base}/api/v1/patients/${id}`, { token })).status).toBe(200);
  });

  it('retries idempotent calls only, within the retry budget', async () => {
    const rpc = await faultyRpc();
    processes.push(rpc);
    const breakerOff = { PM_RESILIENCE__BREAKER__MINIMUM_REQUESTS: '100000' };
    const { base } = await api(rpc, breakerOff);
    const id = (await request(`${base}/api/v1/patients?limit=1`, { token })).body.items[0].id;
    await setFaults(rpc, { errorRate: 1, errorCode: 'UNAVAILABLE' });

    const reads = await rpcArrivals(rpc, 'GetPatient');
    expect((await request(`${base}/api/v1/patients/${id}`, { token })).status).toBe(503);
    expect(await rpcArrivals(rpc, 'GetPatient')).toBe(reads + 3); // 1 call + 2 retries

    const creates = await rpcArrivals(rpc, 'CreatePatient');
    const create = await request(`${base}/api/v1/patients`, {
      token,
      body: {
        trialId: 'T-R',
        siteId: 'S-1',
        subjectCode: 'R-1',
        givenName: 'Retry',
        familyName: 'Never',
        birthDate: '1990-01-01',
        sex: 'male',
      },
    });
    expect(create.status).toBe(503);
    expect(await rpcArrivals(rpc, 'CreatePatient')).toBe(creates + 1);

    // Budget: with no per-second floor, retries stay at about 10 % of calls.
    const budgeted = await api(rpc, { ...breakerOff, PM_RESILIENCE__RETRY__BUDGET_MIN_PER_SECOND: '0' });
    const start = await rpcArrivals(rpc, 'GetPatient');
    const calls = 100;
    for (let i = 0; i < calls; i++) await request(`${budgeted.base}/api/v1/patients/${id}`, { token });
    const retries = (await rpcArrivals(rpc, 'GetPatient')) - start - calls;
    expect(retries).toBeGreaterThan(0);
    expect(retries).toBeLessThanOrEqual(calls * 0.1 + 1);
  });

  it('rpc killed: fast 503s, the api stays up with flat memory, and recovers when rpc returns', async () => {
    const rpc = await faultyRpc();
    const port = rpc.ports.grpc!;
    const { base, process: apiProcess } = await api(`static:///127.0.0.1:${port}`, { PM_RATE_LIMIT__ENABLED: 'false' });
    const id = (await request(`${base}/api/v1/patients?limit=1`, { token })).body.items[0].id;
    await rpc.stop('SIGKILL');

    const rss = () =>
      Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${apiProcess.child.pid}/status`, 'utf8'))![1]) * 1024;
    for (let i = 0; i < 50; i++) await request(`${base}/api/v1/patients/${id}`, { token });
    const rssBefore = rss();
    for (let i = 0; i < 500; i++) {
      const res = await request(`${base}/api/v1/patients/${id}`, { token });
      expect(res.status).toBe(503);
      expect(['rpc_unavailable', 'breaker_open']).toContain(res.body.reason);
    }
    expect(rss() - rssBefore).toBeLessThan(40 * 1024 * 1024);
    expect((await fetch(`http://127.0.0.1:${apiProcess.ports.admin}/livez`)).status).toBe(200);

    // A new rpc on the same port (the data was in memory: find any patient again).
    const back = await startService('patient-rpc', {
      env: rpcEnv(keys.jwksFile, { PM_SEED__PATIENTS: '3', PM_GRPC__PORT: String(port) }),
    });
    processes.push(back);
    await expect
      .poll(async () => (await request(`${base}/api/v1/patients?limit=1`, { token })).status, {
        timeout: 15_000,
        interval: 200,
      })
      .toBe(200);
  });

  it('rate limit: a burst, then the steady rate, with RateLimit and Retry-After headers', async () => {
    const rpc = await faultyRpc();
    processes.push(rpc);
    const { base } = await api(rpc, {
      PM_RATE_LIMIT__SUBJECT__BURST: '10',
      PM_RATE_LIMIT__SUBJECT__PER_SECOND: '5',
      // Only the rate limit under test: on a loaded machine load shedding could answer 503.
      PM_SHEDDING__ENABLED: 'false',
    });
    const url = `${base}/api/v1/patients?limit=1`;
    const limited = await keys.token({ sub: 'busy-caller' });
    const t0 = performance.now();
    const first = await Promise.all(Array.from({ length: 20 }, () => request(url, { token: limited })));
    const elapsedS = (performance.now() - t0) / 1000;
    const ok = first.filter((r) => r.status === 200);
    expect(first.map((r) => r.status).filter((status) => status !== 200 && status !== 429)).toEqual([]);
    expect(ok.length).toBeGreaterThanOrEqual(10);
    expect(ok.length).toBeLessThanOrEqual(10 + Math.ceil(elapsedS * 5));
    const refused = first.find((r) => r.status === 429)!;
    expect(refused.body).toMatchObject({ reason: 'rate_limited', status: 429 });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get('ratelimit-limit')).toBe('10');
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
    expect(ok[0]!.headers.get('ratelimit-limit')).toBe('10');

    // Another subject has its own bucket.
    expect((await request(url, { token: await keys.token({ sub: 'quiet-caller' }) })).status).toBe(200);

    // Steady state: about 5/s. The bucket refilled while the other subject was served, so
    // empty it first: the rate is counted from a request that found it empty.
    let s0 = 0;
    let emptied = false;
    for (let i = 0; i < 30 && !emptied; i++) {
      s0 = performance.now();
      emptied = (await request(url, { token: limited })).status === 429;
    }
    // (A machine too busy to send faster than the rate never empties it: then the bucket may
    // still hold its burst.)
    const held = emptied ? 0 : 10;
    if (!emptied) s0 = performance.now();
    // Count successes over a bounded run of spaced requests.
    let allowed = 0;
    for (let i = 0; i < 40; i++) {
      if ((await request(url, { token: limited })).status === 200) allowed += 1;
      await new Promise((r) => setTimeout(r, 25)); // pacing the load, not synchronisation
    }
    const seconds = (performance.now() - s0) / 1000;
    expect(allowed).toBeLessThanOrEqual(held + Math.ceil(seconds * 5) + 1);
    // At least most of the rate, or every request when a busy machine sent fewer than that.
    expect(allowed).toBeGreaterThanOrEqual(Math.min(40, Math.floor(seconds * 5 * 0.6)));
  });
});
