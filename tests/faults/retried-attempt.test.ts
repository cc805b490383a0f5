// The invariant's "exactly one audit record" when patient-api retries a timed-out attempt:
// the first attempt's handler may still finish in patient-rpc after the client gave up on it.
// Its record must not say `ok` (its answer never left); the retry that answers has the one
// `ok` record. The first attempt is held at a table lock until the retry waits behind it too.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withDb } from '../support/db.ts';
import { request } from '../support/http.ts';
import { Mesh } from './harness/mesh.ts';
import { PgCluster } from './harness/pgCluster.ts';
import { knownPatients } from './harness/row.ts';
import { waitFor } from './harness/waitFor.ts';

describe('a retried attempt and its audit records', () => {
  let cluster: PgCluster;
  let databaseUrl: string;
  let mesh: Mesh;

  beforeAll(async () => {
    cluster = await PgCluster.create();
    databaseUrl = await cluster.createDatabase('mesh');
    mesh = await new Mesh({
      databaseUrl,
      apiEnv: {
        PM_RESILIENCE__ATTEMPT_TIMEOUT_MS: '300',
        PM_RESILIENCE__RETRY__MAX_RETRIES: '1',
        PM_HTTP__REQUEST_TIMEOUT_MS: '5000',
      },
    }).start();
  });
  afterAll(async () => {
    await mesh?.close();
    await cluster?.destroy();
  });

  it('a submission whose first attempt timed out is answered by the retry, with one ok audit record', async () => {
    const [patientId] = await knownPatients(mesh);
    const requestId = `retried-${randomUUID()}`;
    const submissionId = randomUUID();
    const locker = new pg.Client({ connectionString: databaseUrl });
    await locker.connect();
    let answer;
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE questionnaire_responses IN SHARE MODE');
      const pending = request(`${mesh.base}/api/v1/patients/${patientId}/questionnaires`, {
        token: mesh.clinician,
        headers: { 'x-request-id': requestId },
        body: { submissionId, instrument: 'gad7', answers: [1, 1, 1, 1, 1, 1, 1] },
      });
      // Both attempts wait at the lock: the first one timed out at the api and was retried.
      await waitFor('two submission attempts waiting at the lock', async () => {
        const rows = await cluster.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%questionnaire_responses%'",
          [],
          'mesh',
        );
        return rows[0]!.n >= 2;
      });
      await locker.query('ROLLBACK');
      answer = await pending;
    } finally {
      await locker.end();
    }
    expect(answer.status, answer.text).toBeLessThan(300);
    const records = await waitFor('both attempts to be audited', () =>
      withDb(databaseUrl, async (db) => {
        const { rows } = await db.query<{ outcome: string }>(
          "SELECT outcome FROM audit_log WHERE request_id = $1 AND action = 'questionnaire.submit' ORDER BY seq",
          [requestId],
        );
        return rows.length >= 2 ? rows.map((r) => r.outcome) : undefined;
      }),
    );
    expect(records.filter((o) => o === 'ok')).toHaveLength(1);
    expect(records).toContain('error');
  });
});
