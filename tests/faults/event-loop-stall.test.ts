// Fault matrix, row 6: patient-api's event loop stalled (its development-only fault knob,
// `PUT /faults {"eventLoopStallMs": N}` on the admin port) under load. The load shedder
// answers 503 `shed` with Retry-After while the loop is stalled, and stops once it is not;
// nothing answered 2xx is lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue } from '../support/metrics.ts';
import { apiEnv, startService } from '../support/services.ts';
import { FAULT_ADMIN_TOKEN, Mesh } from './harness/mesh.ts';
import { PgCluster } from './harness/pgCluster.ts';
import { finishRow, knownPatients, loadOn, ok, successesAfter } from './harness/row.ts';
import { waitFor } from './harness/waitFor.ts';

async function putFaults(adminPort: number, body: unknown, token = FAULT_ADMIN_TOKEN) {
  const res = await fetch(`http://127.0.0.1:${adminPort}/faults`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('fault matrix: patient-api event loop stalled', () => {
  let cluster: PgCluster;
  let databaseUrl: string;
  let mesh: Mesh;
  let patients: string[];

  beforeAll(async () => {
    cluster = await PgCluster.create();
    databaseUrl = await cluster.createDatabase('mesh');
    mesh = await new Mesh({
      databaseUrl,
      apiEnv: {
        PM_SHEDDING__ENABLED: 'true',
        PM_FAULTS__ENABLED: 'true',
        PM_FAULTS__ADMIN_TOKEN: FAULT_ADMIN_TOKEN,
      },
    }).start();
    patients = await knownPatients(mesh);
  });
  afterAll(async () => {
    await mesh?.close();
    await cluster?.destroy();
  });

  it('refuses the fault knob in production, and PUT /faults without the admin token', async () => {
    const api = await startService('patient-api', {
      env: apiEnv('127.0.0.1:1', mesh.keys.jwksFile, {
        PM_FAULTS__ENABLED: 'true',
        PM_SERVICE__ENVIRONMENT: 'production',
      }),
      waitListening: false,
    });
    expect(await api.exited).toBe(78);
    expect(api.stderr()).toContain('faults.enabled');
    expect(api.stderr()).toContain('production');
    expect((await putFaults(mesh.api.ports.admin, { eventLoopStallMs: 500 }, 'wrong')).status).toBe(401);
    expect((await putFaults(mesh.api.ports.admin, { eventLoopStallMs: -1 })).status).toBe(400);
  });

  it('stalled: 503 shed with Retry-After while it lasts; the shedding stops after, no 2xx lost', async () => {
    // A load well below what the api serves on a busy 2-core machine: the shedding measured
    // is the stall's, not the load's.
    const load = loadOn(mesh, patients, { concurrency: 10, ratePerSecond: 30 });
    await successesAfter(load, 0, 30, 'before the fault');

    const faultAt = Date.now();
    // 300 ms busy of every 310: a stall whose period is the shedder's sample interval plus
    // less than its threshold (250 + 60), the one a sampler on a timer of its own misses.
    expect((await putFaults(mesh.api.ports.admin, { eventLoopStallMs: 300 })).status).toBe(200);
    const firstShed = await load.waitForOutcome('a 503 shed', (o) => o.reason === 'shed', faultAt);
    // Many, not one: a single shed could be a lag spike of a busy machine.
    let sheds = 0;
    await load.waitForOutcome('20 answers shed', (o) => o.reason === 'shed' && ++sheds >= 20, faultAt);

    const healAt = Date.now();
    expect((await putFaults(mesh.api.ports.admin, { eventLoopStallMs: 0 })).status).toBe(200);
    // The shedder's next sample sees the loop free again (its delay gauge below the 100 ms
    // threshold); from then on nothing is shed.
    await waitFor(
      "the shedder's event-loop delay below its threshold",
      async () => (await metricValue(mesh.api.ports.admin, 'http_shedding_event_loop_delay_seconds')) < 0.1,
    );
    const calmAt = Date.now();
    // Shedding has stopped when 30 answers in a row are 2xx. (On a machine whose other work
    // delays this loop too, the shedder may still refuse a few just after: it cannot tell.)
    let inARow = 0;
    await load.waitForOutcome(
      '30 2xx answers in a row after the stall',
      (o) => (ok(o) ? ++inARow >= 30 : (inARow = 0) > 0),
      calmAt,
    );
    const figures = await finishRow(
      'event-loop-stall',
      'patient-api event loop busy 300 ms of every 310 ms',
      load,
      databaseUrl,
      { faultAt, healAt },
      {
        firstShedMs: firstShed.end - faultAt,
        shedderCalmAfterMs: calmAt - healAt,
        shedAfterCalm: load.outcomes.filter((o) => o.reason === 'shed' && o.start > calmAt).length,
      },
    );

    const shed = load.outcomes.filter((o) => o.reason === 'shed');
    for (const o of shed) {
      expect(o.status).toBe(503);
      expect(Number(o.retryAfter)).toBeGreaterThanOrEqual(1);
    }
    // No shedding once the loop runs freely again.
    expect(figures.byReason['503 shed']).toBeGreaterThanOrEqual(20);
  });
});
