import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '../support/uuidv7.js';
import { createPgliteDb } from '../store/createPgliteDb.js';
import type { Db } from '../store/Db.js';
import { migrate } from '../store/migrate.js';
import { PatientRepository } from './PatientRepository.js';

const MIGRATIONS = fileURLToPath(new URL('../../migrations/', import.meta.url));
const NEW = {
  trialId: 'T',
  siteId: 'S',
  subjectCode: 'C-1',
  givenName: 'Ada',
  familyName: 'B',
  birthDate: '1980-01-01',
  sex: 'other',
} as const;

describe('PatientRepository cache (PGlite)', () => {
  let db: Db;
  beforeAll(async () => {
    db = await createPgliteDb({ dataDir: 'memory://' });
    await migrate(db, MIGRATIONS);
  }, 60_000);
  afterAll(() => db?.close());

  const rename = (id: string, name: string) =>
    db.query('UPDATE patients SET given_name = $2 WHERE id = $1', [id, name]);

  it('serves a record it has seen from memory until the TTL, and never caches an unknown id', async () => {
    const cached = new PatientRepository(db, { maxEntries: 100, ttlSeconds: 60 });
    const uncached = new PatientRepository(db, { maxEntries: 0, ttlSeconds: 60 });
    const id = uuidv7();
    expect(await cached.get(id)).toBeUndefined();
    await uncached.create(id, NEW);
    // The miss was not remembered: the record created since is found.
    expect(await cached.get(id)).toMatchObject({ id, givenName: 'Ada' });

    // A change made in SQL behind the service's back: the cache answers from memory.
    await rename(id, 'Changed');
    expect(await cached.get(id)).toMatchObject({ givenName: 'Ada' });
    expect(await uncached.get(id)).toMatchObject({ givenName: 'Changed' });
  });

  it('caches what it creates', async () => {
    const cached = new PatientRepository(db, { maxEntries: 100, ttlSeconds: 60 });
    const id = uuidv7();
    await cached.create(id, { ...NEW, subjectCode: 'C-2' });
    await rename(id, 'Changed');
    expect(await cached.get(id)).toMatchObject({ givenName: 'Ada' });
  });
});
