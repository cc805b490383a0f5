// Fault matrix, row 1: PostgreSQL restarted under load — `pg_ctl restart -m fast` (the
// backends are terminated, the server comes back on the same data directory), and a crash
// (SIGKILL of the postmaster, then started again: crash recovery from the WAL). patient-rpc
// keeps running: its pool must drop the dead connections and reconnect by itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Mesh } from './harness/mesh.ts';
import { PgCluster } from './harness/pgCluster.ts';
import { finishRow, knownPatients, loadOn, ok, successesAfter } from './harness/row.ts';

describe('fault matrix: PostgreSQL restarted', () => {
  let cluster: PgCluster;
  let databaseUrl: string;
  let mesh: Mesh;
  let patients: string[];

  beforeAll(async () => {
    cluster = await PgCluster.create();
    databaseUrl = await cluster.createDatabase('mesh');
    mesh = await new Mesh({ databaseUrl }).start();
    patients = await knownPatients(mesh);
  });
  afterAll(async () => {
    await mesh?.close();
    await cluster?.destroy();
  });

  /** The processes running now: the same ones, never exited, if they recovered by themselves. */
  const pids = () =>
    [mesh.rpc, mesh.api].map((p) =>
      p.child.exitCode === null && p.child.signalCode === null ? p.child.pid : 'exited',
    );

  it('pg_ctl restart -m fast: failures are 5xx answers, the services reconnect by themselves, no 2xx lost', async () => {
    const before = pids();
    const load = loadOn(mesh, patients);
    await successesAfter(load, 0, 30, 'before the fault');
    const faultAt = Date.now();
    await cluster.restartFast();
    const healAt = Date.now();
    await successesAfter(load, healAt, 30, 'after the restart');
    const figures = await finishRow(
      'postgres-restart-fast',
      'pg_ctl restart -m fast',
      load,
      databaseUrl,
      { faultAt, healAt },
      { restartMs: healAt - faultAt },
    );
    expect(pids()).toEqual(before);
    expect(figures.timeToRecoverMs).not.toBeNull();
    // The store restarting is the server's condition, answered 503 with Retry-After (never 500/502).
    for (const o of load.outcomes.filter((o) => !ok(o))) {
      expect(o.status, `${o.op} ${o.reason}`).toBe(503);
      expect(Number(o.retryAfter)).toBeGreaterThanOrEqual(1);
    }
    // No answer is left hanging past the request budget (2 s) by the restart.
    expect(Math.max(...load.outcomes.filter((o) => !ok(o)).map((o) => o.end - o.start), 0)).toBeLessThan(5000);
  });

  it('postmaster SIGKILLed and started again (crash recovery): no 2xx lost, the services reconnect by themselves', async () => {
    const before = pids();
    const load = loadOn(mesh, patients);
    await successesAfter(load, 0, 30, 'before the fault');
    const faultAt = Date.now();
    await cluster.crash();
    const firstFailure = await load.waitForOutcome('a failed answer after the crash', (o) => !ok(o), faultAt);
    const healAt = Date.now();
    await cluster.start();
    await successesAfter(load, healAt, 30, 'after crash recovery');
    await finishRow(
      'postgres-crash',
      'postmaster SIGKILL, started again',
      load,
      databaseUrl,
      { faultAt, healAt },
      {
        firstFailure: `${firstFailure.status} ${firstFailure.reason}`,
        recoveryMs: Date.now() - healAt,
      },
    );
    expect(pids()).toEqual(before);
    for (const o of load.outcomes.filter((o) => !ok(o))) expect(o.status, `${o.op} ${o.reason}`).toBe(503);
  });
});
