import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '../domain/uuidv7.js';
import { createPgliteDb } from '../store/createPgliteDb.js';
import type { Db } from '../store/Db.js';
import { migrate } from '../store/migrate.js';
import { ImportStore, isLeaseLostError } from './ImportStore.js';
import { parseImportLine, type ImportRow } from './parseImportLine.js';

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

  const row = (line: number, submissionId: string, patient = patientId): ImportRow => {
    const parsed = parseImportLine(
      line,
      JSON.stringify({ submissionId, patientId: patient, instrument: 'gad7', answers: [1, 1, 1, 1, 1, 1, 1] }),
    );
    if (!parsed.ok) throw new Error(parsed.reason);
    return parsed.row;
  };

  it('commits a batch with duplicates and unknown patients, keeps the first errors, and refuses a stale cursor', async () => {
    const id = uuidv7();
    await store.create(id, 'tester', 'me');
    await store.stage(id, [{ line: 1, body: '{}', error: null }]);
    await store.markStaged(id, 5);
    expect(await store.claim('me', 10)).toEqual([expect.objectContaining({ id, cursor: 0 })]);
    expect(await store.claim('other', 10)).toEqual([]);

    const a = '9a1b5c4e-0000-4000-8000-000000000001';
    const result = await store.commitBatch(
      id,
      'me',
      0,
      5,
      [row(1, a), row(2, a), row(3, '9a1b5c4e-0000-4000-8000-000000000003', '9a1b5c4e-0000-4000-8000-0000000000ff')],
      [
        { line: 5, reason: 'not valid JSON' },
        { line: 4, reason: 'line exceeds 65536 bytes' },
      ],
    );
    expect(result).toEqual({ cursor: 5, accepted: 1, rejected: 3, duplicate: 1 });
    const job = await store.get(id);
    expect(job).toMatchObject({ state: 'running', linesProcessed: 5, accepted: 1, rejected: 3, duplicate: 1 });
    expect(job!.firstErrors).toEqual([
      { line: 3, reason: 'patientId: unknown patient' },
      { line: 4, reason: 'line exceeds 65536 bytes' },
    ]);

    // A replica that lost its lease, or replays a committed batch, changes nothing.
    await expect(store.commitBatch(id, 'me', 0, 5, [row(1, a)], [])).rejects.toSatisfy(isLeaseLostError);
    await expect(store.commitBatch(id, 'other', 5, 6, [], [])).rejects.toSatisfy(isLeaseLostError);

    expect(await store.releaseAll('me')).toBe(1);
    expect(await store.claim('other', 10)).toEqual([expect.objectContaining({ id, cursor: 5 })]);
    await store.finish(id, 'other');
    expect(await store.get(id)).toMatchObject({ state: 'done', accepted: 1 });
    expect(await db.query('SELECT 1 FROM import_lines WHERE job_id = $1', [id])).toEqual([]);
  });

  it('aborts a receiving job: staged lines deleted, never claimable', async () => {
    const id = uuidv7();
    await store.create(id, 'tester', 'me');
    await store.stage(id, [{ line: 1, body: '{}', error: null }]);
    await store.abort(id);
    expect(await store.get(id)).toMatchObject({ state: 'aborted' });
    expect(await db.query('SELECT 1 FROM import_lines WHERE job_id = $1', [id])).toEqual([]);
    expect(await store.claim('me', 10)).toEqual([]);
  });
});
