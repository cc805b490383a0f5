// Import jobs survive their replica: SIGTERM releases the lease and a restarted replica
// finishes; SIGKILL leaves the lease to expire and another replica finishes. Totals stay
// exact because a batch consumes its staged lines, inserts and counts in one transaction.
import pg from 'pg';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { apiEnv, createDatabase, rpcEnv, startService, type ServiceProcess } from '../support/services.ts';
import { createTestKeys, type TestKeys } from '../support/tokens.ts';
import { generateFile, importedRows, patientIds, pollJob, pollJobRow, upload } from './importSupport.ts';

describe('ePRO import resumes on another replica (postgres)', () => {
  let keys: TestKeys;
  let importer: string;
  const started: ServiceProcess[] = [];
  const clients: pg.Client[] = [];

  beforeAll(async () => {
    keys = await createTestKeys();
    importer = await keys.token({ sub: 'importer-2', roles: ['importer'] });
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) await c.end();
    for (const s of started.splice(0)) await s.stop('SIGKILL');
  });

  async function setup(name: string, leaseSeconds: number) {
    const url = await createDatabase(inject('postgresUrl'), `${name}_${Date.now()}`);
    // Small batches: the job takes long enough to be caught mid-way.
    const env = rpcEnv(keys.jwksFile, {
      PM_DATABASE__URL: url,
      PM_SEED__PATIENTS: '4',
      PM_IMPORTS__BATCH_SIZE: '25',
      PM_IMPORTS__LEASE_SECONDS: String(leaseSeconds),
      PM_IMPORTS__POLL_INTERVAL_MS: '100',
    });
    const rpc = await startService('patient-rpc', { env });
    const api = await startService('patient-api', { env: apiEnv(`127.0.0.1:${rpc.ports.grpc}`, keys.jwksFile) });
    started.push(rpc, api);
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    clients.push(db);
    const { file, expected } = await generateFile({
      lines: 20_000,
      patients: await patientIds(db),
      invalidFraction: 0.02,
      duplicateFraction: 0.02,
      seed: 42,
    });
    const base = `http://127.0.0.1:${api.ports.http}`;
    const res = await upload(base, importer, { file });
    expect(res.status).toBe(202);
    // Mid-job: some batches committed, most not.
    const mid = await pollJob(base, importer, res.body.id, (j) => j.linesProcessed > 0);
    expect(mid.linesProcessed).toBeLessThan(20_000);
    return { env, rpc, db, expected, id: res.body.id as string };
  }

  const exact = async (
    db: pg.Client,
    id: string,
    expected: { accepted: number; rejected: number; duplicate: number },
  ) => {
    const row = await pollJobRow(db, id, (r) => r.state === 'done', 1200);
    expect(row).toMatchObject({
      lines_total: 20_000,
      lines_processed: 20_000,
      accepted: expected.accepted,
      rejected: expected.rejected,
      duplicate: expected.duplicate,
    });
    expect(await importedRows(db, id)).toBe(expected.accepted);
  };

  it('SIGTERM mid-job commits the current batch and releases the lease; a restart finishes exactly', async () => {
    const { env, rpc, db, expected, id } = await setup('import_term', 30);
    expect(await rpc.stop('SIGTERM')).toBe(0);
    await rpc.waitForLog((r) => r.msg === 'import leases released');
    const paused = await pollJobRow(db, id, () => true);
    expect(paused.state).toBe('running');
    expect(paused.lines_processed).toBeLessThan(20_000);
    const { rows } = await db.query('SELECT lease_until <= now() AS released FROM import_jobs WHERE id = $1', [id]);
    expect(rows[0].released).toBe(true);

    const again = await startService('patient-rpc', { env });
    started.push(again);
    const claimed = await again.waitForLog((r) => r.msg === 'import job claimed' && r['jobId'] === id);
    expect(claimed['appliedThrough']).toBeGreaterThan(0);
    await exact(db, id, expected);
  });

  it('SIGKILL mid-job: a second replica takes over after the lease expires and finishes exactly', async () => {
    const { env, rpc, db, expected, id } = await setup('import_kill', 2);
    await rpc.stop('SIGKILL');
    const killedAt = Date.now();
    const { rows } = await db.query(
      `SELECT (extract(epoch FROM lease_until) * 1000)::float8 AS until, lines_processed
       FROM import_jobs WHERE id = $1 AND state = 'running'`,
      [id],
    );
    const leaseUntil = rows[0].until as number;
    // What the dead replica committed stays applied (batches commit in any order, so the
    // applied lines need not be a prefix: the takeover skips them wherever they are).
    expect(Number(rows[0].lines_processed)).toBeGreaterThan(0);
    const other = await startService('patient-rpc', { env });
    started.push(other);
    const claimed = await other.waitForLog((r) => r.msg === 'import job claimed' && r['jobId'] === id);
    expect(Date.now() - killedAt).toBeLessThan(20_000);
    // Taken over only once the dead replica's lease had run out.
    expect(Date.parse(claimed['time'] as string)).toBeGreaterThanOrEqual(Math.floor(leaseUntil));
    await exact(db, id, expected);
  });
});
