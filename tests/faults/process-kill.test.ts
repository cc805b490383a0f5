// Fault matrix, row 3: a service process SIGKILLed under load and started again by the test,
// as Kubernetes restarts a container (same address). patient-rpc is killed while a group
// commit of audit records is in flight (seen in pg_stat_activity); patient-api is killed with
// requests in flight. Requests in flight to the killed process fail; none answered 2xx is lost.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Mesh } from './harness/mesh.ts';
import { PgCluster } from './harness/pgCluster.ts';
import { finishRow, knownPatients, loadOn, ok, successesAfter } from './harness/row.ts';
import { waitFor } from './harness/waitFor.ts';

describe('fault matrix: processes killed', () => {
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

  it('patient-rpc SIGKILLed during a group commit: in-flight requests fail, the api recovers once rpc is back, no 2xx lost', async () => {
    const apiPid = mesh.api.child.pid;
    const load = loadOn(mesh, patients);
    await successesAfter(load, 0, 30, 'before the fault');

    // Hold the audit appends at the lock: the next group commit is in flight (its INSERT
    // waits in the server) when the process dies.
    const locker = new pg.Client({ connectionString: databaseUrl });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE audit_log IN SHARE MODE');
    let faultAt: number;
    try {
      await waitFor('an audit group commit waiting in pg_stat_activity', async () => {
        // Asked on a connection of its own: inside the locker's transaction pg_stat_activity
        // would show the same snapshot at every poll.
        const rows = await cluster.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE 'INSERT INTO audit_log%' AND wait_event_type = 'Lock'",
          [],
          'mesh',
        );
        return rows[0]!.n > 0;
      });
      faultAt = Date.now();
      mesh.rpc.child.kill('SIGKILL');
      await mesh.rpc.exited;
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
    const firstFailure = await load.waitForOutcome('a failed answer after the kill', (o) => !ok(o), faultAt);

    const healAt = Date.now();
    await mesh.startRpc();
    await successesAfter(load, healAt, 30, 'after patient-rpc restarted');
    const figures = await finishRow(
      'rpc-kill',
      'patient-rpc SIGKILL during a group commit, restarted',
      load,
      databaseUrl,
      {
        faultAt,
        healAt,
      },
      { firstFailure: `${firstFailure.status} ${firstFailure.reason}` },
    );

    // The api recovered by itself: the same process, never restarted.
    expect(mesh.api.child.pid).toBe(apiPid);
    expect(mesh.api.child.exitCode).toBeNull();
    expect(mesh.rpc.child.exitCode).toBeNull();
    // The failures are answers (503/504), not hangs: none waited past the request budget by much.
    expect(figures.slowestFailureMs ?? 0).toBeLessThan(5000);
  });

  it('patient-api SIGKILLed with requests in flight and restarted: the in-flight requests fail, no 2xx lost', async () => {
    const load = loadOn(mesh, patients);
    await successesAfter(load, 0, 30, 'before the fault');
    const faultAt = Date.now();
    mesh.api.child.kill('SIGKILL');
    await mesh.api.exited;
    const firstFailure = await load.waitForOutcome('a failed request after the kill', (o) => !ok(o), faultAt);

    const healAt = Date.now();
    await mesh.startApi();
    await successesAfter(load, healAt, 30, 'after patient-api restarted');
    const figures = await finishRow(
      'api-kill',
      'patient-api SIGKILL with requests in flight, restarted',
      load,
      databaseUrl,
      {
        faultAt,
        healAt,
      },
      { firstFailure: `${firstFailure.status} ${firstFailure.reason}` },
    );
    // Requests to the dead process fail at once (connection reset or refused), not hang.
    expect(figures.byStatus['0']).toBeGreaterThan(0);
    expect(figures.timeToFailFastMs).toBeLessThan(2000);
  });
});
