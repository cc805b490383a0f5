// Fault matrix, row 2: PostgreSQL failover. The test sets up real streaming replication
// (pg_basebackup -R from the primary, started as a hot standby); patient-rpc reaches the
// database through a TCP forwarder standing in for a Kubernetes `-rw` Service. Under load the
// primary is stopped, the standby promoted (`pg_ctl promote`) and the forwarder switched to it.
// Everything answered 2xx before, during and after is on the new primary, with its audit record.
// Twice: a clean stop with asynchronous replication (the primary sends its last WAL to the
// standby before it exits), and a crash (`-m immediate`) with synchronous replication
// (`synchronous_standby_names`: a commit is acknowledged once the standby has it) — with
// asynchronous replication a crash may lose what the primary had acknowledged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startForwarder, type Forwarder } from '../support/forwarder.ts';
import { Mesh } from './harness/mesh.ts';
import { PgCluster } from './harness/pgCluster.ts';
import { finishRow, knownPatients, loadOn, ok, successesAfter } from './harness/row.ts';
import { waitFor } from './harness/waitFor.ts';

const VARIANTS = [
  { row: 'failover', stop: 'fast', synchronous: false },
  { row: 'failover-crash-sync', stop: 'immediate', synchronous: true },
] as const;

describe.each(VARIANTS)(
  'fault matrix: PostgreSQL failover to a streaming replica ($row)',
  ({ row, stop, synchronous }) => {
    let primary: PgCluster;
    let standby: PgCluster;
    let rw: Forwarder;
    let mesh: Mesh;

    beforeAll(async () => {
      primary = await PgCluster.create();
      await primary.createDatabase('mesh');
      standby = await PgCluster.standbyOf(primary);
      await waitFor('the standby to stream from the primary', async () => {
        const rows = await primary.query<{ state: string }>('SELECT state FROM pg_stat_replication');
        return rows.some((r) => r.state === 'streaming');
      });
      expect(await standby.isInRecovery()).toBe(true);
      if (synchronous) {
        // Set once the standby streams (before, the primary's own CREATE DATABASE would wait for it).
        await primary.query("ALTER SYSTEM SET synchronous_standby_names = '*'");
        await primary.query('SELECT pg_reload_conf()');
        await waitFor('the standby to be synchronous', async () => {
          const rows = await primary.query<{ sync_state: string }>('SELECT sync_state FROM pg_stat_replication');
          return rows.some((r) => r.sync_state === 'sync');
        });
      }
      rw = await startForwarder([{ host: '127.0.0.1', port: primary.port }]);
      mesh = await new Mesh({ databaseUrl: `postgres://postgres@127.0.0.1:${rw.port}/mesh` }).start();
    });
    afterAll(async () => {
      await mesh?.close();
      await rw?.close();
      await standby?.destroy();
      await primary?.destroy();
    });

    it(`primary stopped (-m ${stop}), standby promoted, -rw switched: no 2xx lost, patient-rpc reconnects by itself`, async () => {
      const patients = await knownPatients(mesh);
      const pids = [mesh.rpc.child.pid, mesh.api.child.pid];
      const load = loadOn(mesh, patients);
      await successesAfter(load, 0, 30, 'before the failover');

      const faultAt = Date.now();
      await primary.stop(stop);
      const firstFailure = await load.waitForOutcome(
        'a failed answer after the primary stopped',
        (o) => !ok(o),
        faultAt,
      );
      await standby.promote();
      expect(await standby.isInRecovery()).toBe(false);
      const healAt = Date.now();
      rw.setBackends([{ host: '127.0.0.1', port: standby.port }]);
      await successesAfter(load, healAt, 30, 'after the failover');

      // The invariant is checked on the new primary: what the old one acknowledged is there.
      const url = new URL(standby.url);
      url.pathname = '/mesh';
      const figures = await finishRow(
        row,
        `primary stopped (-m ${stop}${synchronous ? ', synchronous replication' : ''}), standby promoted, -rw Service switched`,
        load,
        url.toString(),
        { faultAt, healAt },
        {
          firstFailure: `${firstFailure.status} ${firstFailure.reason}`,
          promoteMs: healAt - faultAt,
          connectionsToNewPrimary: rw.accepted.get(`127.0.0.1:${standby.port}`) ?? 0,
        },
      );
      expect(rw.accepted.get(`127.0.0.1:${standby.port}`)).toBeGreaterThan(0);
      for (const o of load.outcomes.filter((o) => !ok(o))) {
        expect(o.status, `${o.op} ${o.reason}`).toBe(503);
        expect(Number(o.retryAfter)).toBeGreaterThanOrEqual(1);
      }
      expect(figures.timeToRecoverMs).not.toBeNull();
      expect([mesh.rpc.child.pid, mesh.api.child.pid]).toEqual(pids);
      expect(mesh.rpc.child.exitCode).toBeNull();
    });
  },
);
