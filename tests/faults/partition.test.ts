// Fault matrix, row 4: a network partition between patient-api and patient-rpc. patient-rpc
// runs in a network namespace the test creates (a veth pair to the host); iptables inside it
// drops every packet of the gRPC port, silently, then the rule is removed. The breaker opens
// (rpc_client_breaker_state 2), answers fail fast (503 breaker_open with Retry-After, well
// within the attempt timeout), and traffic recovers after healing, with no restart.
// PostgreSQL stays reachable from the namespace: only api ↔ rpc is cut.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue } from '../support/metrics.ts';
import { Mesh } from './harness/mesh.ts';
import { NetNamespace } from './harness/netns.ts';
import { isRoot, PgCluster } from './harness/pgCluster.ts';
import { finishRow, knownPatients, loadOn, ok, successesAfter } from './harness/row.ts';
import { waitFor } from './harness/waitFor.ts';

const ATTEMPT_TIMEOUT_MS = 1000;

describe.skipIf(!isRoot)('fault matrix: api ↔ rpc partitioned (network namespaces need root; CI runs as root)', () => {
  let ns: NetNamespace | undefined;
  let cluster: PgCluster | undefined;
  let mesh: Mesh | undefined;

  beforeAll(async () => {
    ns = await NetNamespace.create();
    const subnet = `${ns.hostAddress.split('.').slice(0, 3).join('.')}.0/30`;
    cluster = await PgCluster.create({
      settings: { listen_addresses: `'127.0.0.1,${ns.hostAddress}'` },
      hba: [`host all all ${subnet} trust`],
    });
    await cluster.createDatabase('mesh');
    mesh = await new Mesh({
      databaseUrl: `postgres://postgres@${ns.hostAddress}:${cluster.port}/mesh`,
      rpcHost: ns.nsAddress,
      rpcWrapper: ns.wrapper,
      rpcTarget: (port) => `${ns!.nsAddress}:${port}`,
      apiEnv: {
        PM_RESILIENCE__ATTEMPT_TIMEOUT_MS: String(ATTEMPT_TIMEOUT_MS),
        PM_RESILIENCE__BREAKER__MINIMUM_REQUESTS: '20',
        PM_RESILIENCE__BREAKER__HALF_OPEN_AFTER_MS: '2000',
      },
    }).start();
  });
  afterAll(async () => {
    // Each step on its own, so that a failed one does not leave the namespace behind.
    await mesh?.close().catch(() => {});
    await cluster?.destroy().catch(() => {});
    await ns?.destroy();
  });

  it('packets dropped: the breaker opens and answers fail fast with 503 + Retry-After; healed: traffic recovers, no 2xx lost', async () => {
    const m = mesh!;
    const breaker = () => metricValue(m.api.ports.admin, 'rpc_client_breaker_state');
    const patients = await knownPatients(m);
    const pids = [m.rpc.child.pid, m.api.child.pid];
    const load = loadOn(m, patients);
    await successesAfter(load, 0, 30, 'before the partition');
    expect(await breaker()).toBe(0);

    const faultAt = Date.now();
    await ns!.partition(m.rpcPort);
    await waitFor('the breaker to open (rpc_client_breaker_state 2)', async () => (await breaker()) === 2, 60_000);
    const openAt = Date.now();
    const fastFailure = await load.waitForOutcome(
      'a 503 breaker_open',
      (o) => o.reason === 'breaker_open' && o.start >= openAt,
      openAt,
    );
    // While open, requests are answered at once, without waiting on the partition.
    let fastOnes = 0;
    await load.waitForOutcome(
      '20 answers breaker_open',
      (o) => o.reason === 'breaker_open' && ++fastOnes >= 20,
      openAt,
    );

    const healAt = Date.now();
    await ns!.heal(m.rpcPort);
    await successesAfter(load, healAt, 30, 'after healing');
    await waitFor('the breaker to close', async () => (await breaker()) === 0);
    const figures = await finishRow(
      'partition',
      'iptables DROP of the gRPC port in patient-rpc’s namespace, then removed',
      load,
      mesh!.options.databaseUrl,
      { faultAt, healAt },
      {
        breakerOpenAfterMs: openAt - faultAt,
        firstBreakerOpenAnswerMs: fastFailure.end - faultAt,
        attemptTimeoutMs: ATTEMPT_TIMEOUT_MS,
      },
    );

    const open = load.outcomes.filter((o) => o.reason === 'breaker_open');
    expect(open.length).toBeGreaterThanOrEqual(20);
    for (const o of open) {
      expect(o.status).toBe(503);
      expect(Number(o.retryAfter)).toBeGreaterThanOrEqual(1);
    }
    // Fail fast: a breaker_open answer takes far less than one attempt timeout (no call is
    // made); the slowest is reported in the figures. The median keeps a busy machine's
    // outliers from deciding.
    const durations = open.map((o) => o.end - o.start).sort((a, b) => a - b);
    expect(durations[Math.floor(durations.length / 2)]!).toBeLessThan(ATTEMPT_TIMEOUT_MS);
    // Before the breaker opened, timed-out attempts answered 504 timeout (not 503 cancelled:
    // a timed-out attempt counts against the breaker only when it is known as a timeout).
    expect(new Set(load.outcomes.filter((o) => !ok(o)).map((o) => `${o.status} ${o.reason}`))).toEqual(
      new Set(['504 timeout', '503 breaker_open']),
    );
    // Nothing waited out the whole request budget (2 s) plus slack while partitioned.
    for (const o of load.outcomes.filter((o) => !ok(o))) expect(o.end - o.start).toBeLessThan(4000);
    expect(figures.timeToRecoverMs).not.toBeNull();
    // Recovered by themselves: the same processes.
    expect([m.rpc.child.pid, m.api.child.pid]).toEqual(pids);
    expect(m.rpc.child.exitCode).toBeNull();
    expect(m.api.child.exitCode).toBeNull();
  });
});
