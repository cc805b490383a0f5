import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '../support/uuidv7.js';
import { createPgliteDb } from '../store/createPgliteDb.js';
import type { Db } from '../store/Db.js';
import { migrate } from '../store/migrate.js';
import { ImportStore, isLeaseLostError, StagingBatch } from './ImportStore.js';
import { parseImportLine, type ParsedLine } from '../domain/parseImportLine.js';

const MIGRATIONS = fileURLToPath(new URL('../../migrations/', import.meta.url));

describe('ImportStore (PGlite)', () => {
  let db: Db;
  let store: ImportStore;
  let patientId: string;

  beforeAll(async () => {
    db = await createPgliteDb({ dataDir: 'memory://' });
    await migrate(db, MIGRATIONS);
    patientId = uuidv7();
    await db.query(
      `INSERT INTO patients (id, trial_id, site_id, subject_code, given_name, family_name, birth_date, sex)
       VALUES ($1, 'T', 'S', 'C', 'A', 'B', '1980-01-01', 'other')`,
      [patientId],
    );
    store = new ImportStore(db, { leaseSeconds: 30, maxFirstErrors: 2 });
  }, 60_000);
  afterAll(() => db?.close());

  const line = (n: number, submissionId: string, patient = patientId): ParsedLine =>
    parseImportLine(
      n,
      JSON.stringify({ submissionId, patientId: patient, instrument: 'gad7', answers: [1, 1, 1, 1, 1, 1, 1] }),
    );
  const stage = (jobId: string, lines: ParsedLine[]) => {
    const batch = new StagingBatch(jobId);
    for (const l of lines) batch.add(l);
    return store.stage(batch);
  };
  const responses = async (jobId: string) =>
    (
      await db.query<{ n: number }>('SELECT count(*)::int AS n FROM questionnaire_responses WHERE import_id = $1', [
        jobId,
      ])
    )[0]!.n;

  it('applies a batch with duplicates and unknown patients, keeps the lowest-numbered errors, applies each line once', async () => {
    const id = uuidv7();
    await store.create(id, 'tester', 'me');
    const a = '9a1b5c4e-0000-4000-8000-000000000001';
    await stage(id, [
      line(1, a),
      line(2, a),
      line(3, '9a1b5c4e-0000-4000-8000-000000000003', '9a1b5c4e-0000-4000-8000-0000000000ff'),
      { ok: false, line: 4, reason: 'line exceeds 65536 bytes' },
      { ok: false, line: 5, reason: 'Unrecognized key: "\u0000"' },
      line(7, '9a1b5c4e-0000-4000-8000-000000000007'),
      { ok: false, line: 8, reason: 'not valid JSON' },
    ]);
    await store.markStaged(id, 7, 8);
    expect(await store.claim('me', 10)).toEqual([expect.objectContaining({ id, appliedThrough: 0, lastLine: 8 })]);
    expect(await store.claim('other', 10)).toEqual([]);

    // Batches may commit out of order: the later range first.
    expect(await store.commitBatch(id, 'me', 5, 8)).toEqual({ accepted: 1, rejected: 1, duplicate: 0 });
    expect(await store.commitBatch(id, 'me', 0, 5)).toEqual({ accepted: 1, rejected: 3, duplicate: 1 });
    const job = await store.get(id);
    expect(job).toMatchObject({ state: 'running', linesProcessed: 7, accepted: 2, rejected: 4, duplicate: 1 });
    expect(job!.firstErrors).toEqual([
      { line: 3, reason: 'patientId: unknown patient' },
      { line: 4, reason: 'line exceeds 65536 bytes' },
    ]);
    expect(await responses(id)).toBe(2);

    // A replayed batch finds its lines consumed; a replica without the lease applies nothing.
    expect(await store.commitBatch(id, 'me', 0, 5)).toEqual({ accepted: 0, rejected: 0, duplicate: 0 });
    await expect(store.commitBatch(id, 'other', 0, 8)).rejects.toSatisfy(isLeaseLostError);
    await expect(store.finish(id, 'other')).rejects.toSatisfy(isLeaseLostError);
    expect(await store.get(id)).toMatchObject({ linesProcessed: 7, accepted: 2 });

    await store.finish(id, 'me');
    expect(await store.get(id)).toMatchObject({ state: 'done', linesProcessed: 7, accepted: 2, rejected: 4 });
    expect(await responses(id)).toBe(2);
    expect(await db.query('SELECT 1 FROM import_lines WHERE job_id = $1', [id])).toEqual([]);
  });

  it('resumes a released job after its last applied line, and refuses to finish with lines left', async () => {
    const id = uuidv7();
    await store.create(id, 'tester', 'me');
    await stage(
      id,
      [1, 2, 3, 4].map((n) => line(n, `9a1b5c4e-0000-4000-8000-00000000010${n}`)),
    );
    await store.markStaged(id, 4, 4);
    await store.claim('me', 10);
    await store.commitBatch(id, 'me', 0, 2);
    await expect(store.finish(id, 'me')).rejects.toThrow(/staged lines left/);
    expect(await store.releaseAll('me')).toBe(1);
    expect(await store.claim('other', 10)).toEqual([expect.objectContaining({ id, appliedThrough: 2, lastLine: 4 })]);
  });

  it('aborts a receiving job: staged lines deleted, never claimable', async () => {
    const id = uuidv7();
    await store.create(id, 'tester', 'me');
    await stage(id, [{ ok: false, line: 1, reason: 'not valid JSON' }]);
    await store.abort(id);
    expect(await store.get(id)).toMatchObject({ state: 'aborted' });
    expect(await db.query('SELECT 1 FROM import_lines WHERE job_id = $1', [id])).toEqual([]);
    expect(await store.claim('me', 10)).toEqual([]);
  });

  it('stages reasons with every character COPY treats specially, intact', async () => {
    const id = uuidv7();
    const reasons = ['tab\there', 'back\\slash \\N', 'new\nline\r\n', 'nul \u0000 byte'];
    await store.create(id, 'tester', 'me');
    await stage(
      id,
      reasons.map((reason, i) => ({ ok: false, line: i + 1, reason })),
    );
    const rows = await db.query<{ error: string }>('SELECT error FROM import_lines WHERE job_id = $1 ORDER BY line', [
      id,
    ]);
    expect(rows.map((r) => r.error)).toEqual([...reasons.slice(0, 3), 'nul \ufffd byte']);
  });
});
