// Several replicas append to one audit trail at once on real PostgreSQL: each batch takes its
// seq values from a sequence, so nothing is read first and no batch waits for another's
// tail. Every record is committed exactly once, seq has no holes, and no batch is retried.
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AuditEntry } from '../../services/patient-rpc/src/domain/auditChain.ts';
import { AuditWriter } from '../../services/patient-rpc/src/audit/AuditWriter.ts';
import { createPgDb } from '../../services/patient-rpc/src/store/createPgDb.ts';
import type { Db } from '../../services/patient-rpc/src/store/Db.ts';
import { migrate } from '../../services/patient-rpc/src/store/migrate.ts';
import { createDatabase } from '../support/services.ts';

const MIGRATIONS = fileURLToPath(new URL('../../services/patient-rpc/migrations/', import.meta.url));
const REPLICAS = 4;

async function counter(registry: Registry, name: string): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  return metric?.values.reduce((sum, v) => sum + v.value, 0) ?? 0;
}
const PER_REPLICA = 300;

describe('audit chain with concurrent writers (postgres)', () => {
  const dbs: Db[] = [];

  beforeAll(async () => {
    const url = await createDatabase(inject('postgresUrl'), `audit_writers_${Date.now()}`);
    for (let i = 0; i < REPLICAS; i++) dbs.push(createPgDb({ url, poolMax: 4, statementTimeoutMs: 10_000 }));
    await migrate(dbs[0]!, MIGRATIONS);
  });
  afterAll(async () => {
    for (const db of dbs) await db.close();
  });

  const entry = (actor: string, requestId: string): AuditEntry => ({
    actor,
    role: 'clinician',
    action: 'patient.read',
    patientId: 'p-1',
    outcome: 'ok',
    requestId,
    traceId: '',
  });

  it('a batch that meets a seq the sequencer sealed is committed again with new values', async () => {
    const registry = new Registry();
    const writer = new AuditWriter(dbs[0]!, { maxBatch: 16 }, registry);
    await writer.append(entry('a', 'before'));
    // The sequencer seals a hole at the value the next append takes (as if it judged it abandoned).
    const [next] = await dbs[0]!.query<{ seq: string }>('SELECT (last_value + 1)::text AS seq FROM audit_log_seq');
    await dbs[0]!.query(
      `INSERT INTO audit_log (seq, time, actor, role, action, patient_id, outcome, request_id, trace_id)
       VALUES ($1, now(), 'audit-sequencer', 'system', 'audit.gap', '', 'error', '', '')`,
      [next!.seq],
    );
    await writer.append(entry('a', 'after'));
    const rows = await dbs[0]!.query<{ request_id: string; action: string }>(
      'SELECT request_id, action FROM audit_log ORDER BY seq',
    );
    expect(rows.map((r) => r.request_id || r.action)).toEqual(['before', 'audit.gap', 'after']);
    expect(await counter(registry, 'audit_append_retries_total')).toBe(1);
  });

  it('commits every record once, side by side, with no retries and no holes in seq', async () => {
    const [{ n: before }] = (await dbs[0]!.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log')) as [
      { n: number },
    ];
    const registries = dbs.map(() => new Registry());
    const writers = dbs.map((db, i) => new AuditWriter(db, { maxBatch: 16 }, registries[i]!));
    const appends = writers.flatMap((writer, replica) =>
      Array.from({ length: PER_REPLICA }, (_, i) => writer.append(entry(`replica-${replica}`, `${replica}-${i}`))),
    );
    await Promise.all(appends);

    const rows = await dbs[0]!.query<{ request_id: string; n: number }>(
      "SELECT request_id, count(*)::int AS n FROM audit_log WHERE request_id LIKE '%-%' GROUP BY request_id",
    );
    expect(rows).toHaveLength(REPLICAS * PER_REPLICA);
    expect(rows.every((r) => r.n === 1)).toBe(true);
    const [range] = await dbs[0]!.query<{ n: number; last: number }>(
      'SELECT count(*)::int AS n, max(seq)::int AS last FROM audit_log',
    );
    expect(range).toEqual({ n: before + REPLICAS * PER_REPLICA, last: before + REPLICAS * PER_REPLICA });
    for (const registry of registries) expect(await counter(registry, 'audit_append_retries_total')).toBe(0);
    // Batches of different replicas interleave in seq: they did not take turns on one tail.
    const order = await dbs[0]!.query<{ actor: string }>(
      "SELECT actor FROM audit_log WHERE actor LIKE 'replica-%' ORDER BY seq",
    );
    const switches = order.filter((r, i) => i > 0 && r.actor !== order[i - 1]!.actor).length;
    expect(switches).toBeGreaterThan(REPLICAS);
  });
});
