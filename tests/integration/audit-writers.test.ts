// Several replicas append to one audit chain at once on real PostgreSQL: every record is
// committed exactly once and the chain stays linear (each batch links to the real tail).
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AuditLog } from '../../services/patient-rpc/src/audit/AuditLog.ts';
import type { AuditEntry } from '../../services/patient-rpc/src/audit/auditChain.ts';
import { AuditWriter } from '../../services/patient-rpc/src/audit/AuditWriter.ts';
import { createPgDb } from '../../services/patient-rpc/src/store/createPgDb.ts';
import type { Db } from '../../services/patient-rpc/src/store/Db.ts';
import { migrate } from '../../services/patient-rpc/src/store/migrate.ts';
import { createDatabase } from '../support/services.ts';

const MIGRATIONS = fileURLToPath(new URL('../../services/patient-rpc/migrations/', import.meta.url));
const REPLICAS = 4;
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

  it('relinks a batch whose cached tail another replica has moved past', async () => {
    const [a, b] = dbs.slice(0, 2).map((db) => new AuditWriter(db, { maxBatch: 16 }, new Registry()));
    await a!.append(entry('a', 'first'));
    await b!.append(entry('b', 'second'));
    // a still links to its own last record: the INSERT collides, a reads the tail and relinks.
    await a!.append(entry('a', 'third'));
    const rows = await dbs[0]!.query<{ request_id: string }>('SELECT request_id FROM audit_log ORDER BY seq');
    expect(rows.map((r) => r.request_id)).toEqual(['first', 'second', 'third']);
    expect(await new AuditLog(dbs[0]!).verify()).toEqual({ checked: 3, firstBreak: undefined });
  });

  it('commits every record once, in one linear chain, while replicas race for the tail', async () => {
    // A fresh trail for this test: as the tables' owner, past the append-only trigger.
    await dbs[0]!.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only');
    await dbs[0]!.query('DELETE FROM audit_log');
    await dbs[0]!.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only');
    const writers = dbs.map((db) => new AuditWriter(db, { maxBatch: 16 }, new Registry()));
    const appends = writers.flatMap((writer, replica) =>
      Array.from({ length: PER_REPLICA }, (_, i) => writer.append(entry(`replica-${replica}`, `${replica}-${i}`))),
    );
    await Promise.all(appends);

    const rows = await dbs[0]!.query<{ request_id: string; n: number }>(
      'SELECT request_id, count(*)::int AS n FROM audit_log GROUP BY request_id',
    );
    expect(rows).toHaveLength(REPLICAS * PER_REPLICA);
    expect(rows.every((r) => r.n === 1)).toBe(true);
    expect(await new AuditLog(dbs[0]!).verify()).toEqual({ checked: REPLICAS * PER_REPLICA, firstBreak: undefined });
  });
});
