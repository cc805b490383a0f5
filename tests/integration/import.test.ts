// ePRO bulk import end to end on PostgreSQL: patient-api streams NDJSON into patient-rpc,
// which stages it, then validates and applies it in batches under a lease.
import { request as httpRequest } from 'node:http';
import { Readable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { apiEnv, createDatabase, rpcEnv, startService, type ServiceProcess } from '../support/services.ts';
import { createTestKeys } from '../support/tokens.ts';
import { generateFile, importedRows, patientIds, pollJob, upload } from './importSupport.ts';

describe('ePRO bulk import on postgres', () => {
  let rpc: ServiceProcess;
  let api: ServiceProcess;
  let db: pg.Client;
  let base: string;
  let importer: string;
  let clinician: string;
  let patients: string[];

  beforeAll(async () => {
    const keys = await createTestKeys();
    const url = await createDatabase(inject('postgresUrl'), `import_${Date.now()}`);
    rpc = await startService('patient-rpc', {
      env: rpcEnv(keys.jwksFile, {
        PM_DATABASE__URL: url,
        PM_SEED__PATIENTS: '4',
        PM_IMPORTS__BATCH_SIZE: '500',
        PM_IMPORTS__POLL_INTERVAL_MS: '200',
      }),
    });
    api = await startService('patient-api', { env: apiEnv(`127.0.0.1:${rpc.ports.grpc}`, keys.jwksFile) });
    base = `http://127.0.0.1:${api.ports.http}`;
    importer = await keys.token({ sub: 'importer-1', roles: ['importer'] });
    clinician = await keys.token({ sub: 'dr-who', roles: ['clinician'] });
    db = new pg.Client({ connectionString: url });
    await db.connect();
    patients = await patientIds(db);
  });

  afterAll(async () => {
    await db?.end();
    expect(await api?.stop()).toBe(0);
    expect(await rpc?.stop()).toBe(0);
  });

  const finished = (job: { state: string }) => ['done', 'failed', 'aborted'].includes(job.state);

  it('applies a file with exact counts, then counts a re-upload as all duplicates', async () => {
    const { file, expected } = await generateFile({
      lines: 5000,
      patients,
      invalidFraction: 0.05,
      duplicateFraction: 0.05,
      seed: 11,
    });
    expect(expected.rejected).toBeGreaterThan(100);
    expect(expected.duplicate).toBeGreaterThan(0);

    const res = await upload(base, importer, { file });
    expect(res.status).toBe(202);
    expect(res.headers.location).toBe(`/api/v1/epro/imports/${res.body.id}`);
    expect(res.body).toMatchObject({ state: 'staged', linesTotal: 5000 });

    const job = await pollJob(base, importer, res.body.id, finished);
    expect(job).toMatchObject({
      state: 'done',
      linesTotal: 5000,
      linesProcessed: 5000,
      progress: 1,
      accepted: expected.accepted,
      rejected: expected.rejected,
      duplicate: expected.duplicate,
    });
    expect(job.linesPerSecond).toBeGreaterThan(0);
    expect(job.firstErrors).toHaveLength(100);
    const lines = job.firstErrors.map((e: { line: number }) => e.line);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
    expect(await importedRows(db, job.id)).toBe(expected.accepted);

    const again = await upload(base, importer, { file });
    expect(again.status).toBe(202);
    const second = await pollJob(base, importer, again.body.id, finished);
    expect(second).toMatchObject({
      state: 'done',
      accepted: 0,
      rejected: expected.rejected,
      duplicate: expected.accepted + expected.duplicate,
    });
    expect(await importedRows(db, second.id)).toBe(0);
  });

  it('reports each bad line with its number and reason and applies the good ones', async () => {
    const good = (n: number) =>
      JSON.stringify({
        submissionId: `5b1e0c9a-0000-4000-8000-${String(n).padStart(12, '0')}`,
        patientId: patients[n % patients.length],
        instrument: n % 2 ? 'gad7' : 'phq9',
        answers: n % 2 ? [0, 1, 2, 3, 0, 1, 2] : [0, 1, 2, 3, 0, 1, 2, 3, 0],
      });
    const huge = Buffer.alloc(20 * 1024 * 1024, 0x61); // one 20 MB line: same path as 2 GB
    const parts: Array<string | Buffer> = [
      `${good(1)}\n`, // 1
      'this is not json\n', // 2
      Buffer.from([0xff, 0xfe, 0x00, 0x81, 0x0d, 0x0a]), // 3 binary garbage, CRLF
      '{"a":\n', // 4 truncated JSON
      huge, // 5
      '\n',
      `${JSON.stringify({ ...JSON.parse(good(6)), instrument: 'bdi2' })}\n`, // 6
      `${JSON.stringify({ ...JSON.parse(good(7)), answers: [0, 0, 0, 0, 9, 0, 0] })}\n`, // 7
      `${JSON.stringify({ ...JSON.parse(good(8)), submissionId: undefined })}\n`, // 8
      `${JSON.stringify({ ...JSON.parse(good(9)), patientId: '00000000-0000-4000-8000-000000000009' })}\n`, // 9
      '\n', // 10 blank: skipped, keeps its number
      `${good(11)}\r\n`, // 11
      `${good(1)}\n`, // 12 duplicate of line 1 in the same file
      good(13), // 13 no final newline
    ];
    const res = await upload(
      base,
      importer,
      Readable.from(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p))),
    );
    expect(res.status).toBe(202);
    const job = await pollJob(base, importer, res.body.id, finished);
    expect(job).toMatchObject({ state: 'done', linesTotal: 12, accepted: 3, rejected: 8, duplicate: 1 });
    const reasons = Object.fromEntries(
      job.firstErrors.map((e: { line: number; reason: string }) => [e.line, e.reason]),
    );
    expect(reasons).toEqual({
      2: 'not valid JSON',
      3: 'not valid UTF-8',
      4: 'not valid JSON',
      5: 'line exceeds 65536 bytes',
      6: expect.stringMatching(/^instrument: /),
      7: 'answers[4]: answer must be an integer from 0 to 3',
      8: 'submissionId: required',
      9: 'patientId: unknown patient',
    });
    expect(await importedRows(db, job.id)).toBe(3);
  });

  it('refuses callers without the importer role, without a token and with the wrong media type', async () => {
    const body = Buffer.from('{}\n');
    const denied = await upload(base, clinician, body);
    expect(denied.status).toBe(403);
    expect(denied.headers['content-type']).toMatch(/application\/problem\+json/);
    expect((await upload(base, undefined, body)).status).toBe(401);
    expect((await upload(base, importer, body, 'application/json')).status).toBe(415);
    const read = await fetch(`${base}/api/v1/epro/imports/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`, {
      headers: { authorization: `Bearer ${clinician}` },
    });
    expect(read.status).toBe(403);
    const unknown = await fetch(`${base}/api/v1/epro/imports/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`, {
      headers: { authorization: `Bearer ${importer}` },
    });
    expect(unknown.status).toBe(404);
    const { rows } = await db.query(
      "SELECT action, outcome FROM audit_log WHERE actor = 'dr-who' AND action LIKE 'import.%' ORDER BY seq",
    );
    expect(rows).toEqual([
      { action: 'import.create', outcome: 'denied' },
      { action: 'import.read', outcome: 'denied' },
    ]);
  });

  it('documents both routes in /openapi.json', async () => {
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as any;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/v1/epro/imports', '/api/v1/epro/imports/{id}']),
    );
    expect(doc.components.schemas.ImportJob.properties).toHaveProperty('firstErrors');
  });

  it('aborts the job and applies nothing when the client disconnects mid-upload', async () => {
    const { file } = await generateFile({ lines: 3000, patients, seed: 5 });
    const { readFileSync } = await import('node:fs');
    const content = readFileSync(file);
    const before = rpc.logs.length;
    const req = httpRequest(`${base}/api/v1/epro/imports`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${importer}` },
    });
    req.on('error', () => {});
    req.write(content.subarray(0, content.length / 2));
    const started = await rpc.waitForLog((r) => r.msg === 'import upload started' && rpc.logs.indexOf(r) >= before);
    const jobId = started['jobId'] as string;
    req.destroy();
    await rpc.waitForLog((r) => r.msg === 'import upload cancelled; job aborted' && r['jobId'] === jobId);
    const { rows } = await db.query('SELECT state FROM import_jobs WHERE id = $1', [jobId]);
    expect(rows).toEqual([{ state: 'aborted' }]);
    const staged = await db.query('SELECT count(*)::int AS n FROM import_lines WHERE job_id = $1', [jobId]);
    expect(staged.rows[0].n).toBe(0);
    expect(await importedRows(db, jobId)).toBe(0);
  });
});
