// The sequencer and the proofs over the stored tree, on the embedded PostgreSQL: records
// appended by several writers are integrated in seq order, holes are sealed, and every
// proof served from tiles and records equals the one computed from all the leaves in
// memory (merkle.ts, checked against RFC 9162 there) and verifies against the signed root.
import { generateKeyPairSync } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@patient-mesh/runtime';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgliteDb } from '../../store/createPgliteDb.js';
import type { Db } from '../../store/Db.js';
import { migrate } from '../../store/migrate.js';
import { AUDIT_COLUMNS, type AuditRow } from '../AuditLog.js';
import type { AuditEntry } from '../../domain/auditChain.js';
import { AuditWriter } from '../AuditWriter.js';
import { AuditProofs, isProofMissing } from './AuditProofs.js';
import { Checkpointer, latestCheckpointNote, type CheckpointerDeps } from './Checkpointer.js';
import { createNoteSigner, verifierKeyOf, verifyCheckpoint } from './checkpoint.js';
import { auditLeafData, auditLeafHash } from './leafData.js';
import { consistencyProof, inclusionProof, leafHash, verifyConsistency, verifyInclusion, type Hash } from './merkle.js';
import { storedConsistencyProof, storedInclusionProof } from './storedTree.js';

const MIGRATIONS = fileURLToPath(new URL('../../../migrations/', import.meta.url));
const ORIGIN = 'test/audit';
const keys = generateKeyPairSync('ed25519');
const VKEY = verifierKeyOf(ORIGIN, keys.publicKey);

/** A sequencer over `db` signing with the test key; `extra` adds a clock or sinks. */
const sequencer = (db: Db, maxBatch: number, extra: Partial<CheckpointerDeps> = {}) =>
  new Checkpointer(
    { origin: ORIGIN, intervalMs: 1000, maxBatch, gapGraceMs: 5000 },
    {
      db,
      signer: createNoteSigner(ORIGIN, keys.privateKey),
      logger: createLogger({ level: 'silent' }, { name: 'test' }),
      registry: new Registry(),
      ...extra,
    },
  );

const entry = (i: number): AuditEntry => ({
  actor: `user-${i % 7}`,
  role: 'clinician',
  action: 'patient.read',
  patientId: `p-${i % 13}`,
  outcome: 'ok',
  requestId: `req-${i}`,
  traceId: '',
});

describe('stored audit tree (PGlite)', () => {
  let db: Db;
  let now = Date.now();
  let checkpointer: Checkpointer;
  const writers: AuditWriter[] = [];
  let appended = 0;

  const append = async (count: number) => {
    // Three writers at once: their batches take seq values side by side.
    await Promise.all(
      Array.from({ length: count }, (_, i) => writers[i % writers.length]!.append(entry(appended + i))),
    );
    appended += count;
  };
  const leaves = async (): Promise<Hash[]> =>
    (await db.query<AuditRow>(`SELECT ${AUDIT_COLUMNS} FROM audit_log ORDER BY audit_log.seq`)).map(auditLeafHash);

  beforeAll(async () => {
    db = await createPgliteDb({ dataDir: 'memory://' });
    await migrate(db, MIGRATIONS);
    for (let i = 0; i < 3; i++) writers.push(new AuditWriter(db, { maxBatch: 64 }, new Registry()));
    checkpointer = sequencer(db, 700, { now: () => now });
  }, 60_000);
  afterAll(() => db?.close());

  it('integrates appends of several writers in batches, each checkpoint signing the root of every record so far', async () => {
    const sizes: number[] = [];
    for (const count of [1, 300, 555, 1]) {
      await append(count);
      for (let made = await checkpointer.run(); made; made = await checkpointer.run()) sizes.push(made.size);
    }
    // maxBatch 700 splits the 555 after 301 records into two rounds.
    expect(sizes).toEqual([1, 301, 856, 857]);
    const all = await leaves();
    const [latest] = await db.query<{ note: string }>(
      'SELECT note FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1',
    );
    const signed = verifyCheckpoint(latest!.note, VKEY, ORIGIN);
    expect(signed.size).toBe(857);
    // The sizes came from a gap-free run: the signed root is the root of all records.
    expect(verifyConsistency(857, 857, signed.root, signed.root, [])).toBe(true);
    expect(verifyInclusion(856, 857, all[856]!, inclusionProof(856, 857, all), signed.root)).toBe(true);
    // Tiles of 256: tile 1 was begun in the round that ended at 301 and finished in the next.
    const tiles = await db.query<{ tile: string }>('SELECT tile::text AS tile FROM audit_tiles ORDER BY tile');
    expect(tiles.map((t) => Number(t.tile))).toEqual([0, 1, 2]);
  });

  it('serves inclusion and consistency proofs equal to the in-memory ones, at every size and position tried', async () => {
    const all = await leaves();
    const sizes = [1, 2, 255, 256, 257, 511, 512, 513, 700, 768, 857];
    for (const size of sizes) {
      for (const index of new Set([0, 1, Math.floor(size / 2), size - 2, size - 1].filter((i) => i >= 0 && i < size)))
        expect(await storedInclusionProof(db, index, size)).toEqual(inclusionProof(index, size, all));
      for (const m of sizes.filter((m) => m <= size))
        expect(await storedConsistencyProof(db, m, size)).toEqual(consistencyProof(m, size, all));
    }
  }, 60_000);

  it('proves a record against the signed checkpoint: the leaf is the record, the path reaches the root', async () => {
    const proofs = new AuditProofs(db);
    const proof = await proofs.inclusion(300);
    if (isProofMissing(proof)) throw new Error(proof.missing);
    const signed = verifyCheckpoint(proof.checkpoint, VKEY, ORIGIN);
    expect(proof.treeSize).toBe(signed.size);
    expect(proof.leafData).toEqual(auditLeafData(proof.row));
    expect(verifyInclusion(299, signed.size, leafHash(proof.leafData), proof.inclusion, signed.root)).toBe(true);

    const [early] = await db.query<{ note: string }>('SELECT note FROM audit_checkpoints WHERE tree_size = 301');
    const consistency = await proofs.consistency(301);
    if (isProofMissing(consistency)) throw new Error(consistency.missing);
    expect(consistency.fromCheckpoint).toBe(early!.note);
    const [from, to] = [consistency.fromCheckpoint!, consistency.toCheckpoint].map((n) => verifyCheckpoint(n, VKEY));
    expect(verifyConsistency(from!.size, to!.size, from!.root, to!.root, consistency.consistency)).toBe(true);

    expect(await proofs.inclusion(100_000)).toEqual({ missing: 'audit record 100000 not found' });
    expect(await proofs.inclusion(3, 300)).toEqual({ missing: 'no audit checkpoint was signed at size 300' });
    expect(await proofs.consistency(900)).toEqual({ missing: 'the checkpoint of 857 records is older than size 900' });
  });

  it('recomputes and stores tile roots it lacks (trees begun before tiles were stored)', async () => {
    await db.query('ALTER TABLE audit_tiles DISABLE TRIGGER USER');
    await db.query('DELETE FROM audit_tiles');
    await db.query('ALTER TABLE audit_tiles ENABLE TRIGGER USER');
    const all = await leaves();
    expect(await storedInclusionProof(db, 700, 857)).toEqual(inclusionProof(700, 857, all));
    const tiles = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_tiles');
    expect(tiles[0]!.n).toBeGreaterThan(0);
    expect(await storedConsistencyProof(db, 300, 857)).toEqual(consistencyProof(300, 857, all));
  });

  it('publishes each checkpoint to every sink; a failing sink does not undo it or stop the others', async () => {
    const published: string[] = [];
    const withSinks = sequencer(db, 700, {
      sinks: [
        { name: 'broken', publish: () => Promise.reject(new Error('bucket unreachable')) },
        { name: 'memory', publish: async (c) => void published.push(c.note) },
      ],
    });
    await append(1);
    const made = await withSinks.run();
    expect(published).toEqual([made!.note]);
    const [stored] = await db.query<{ note: string }>(
      'SELECT note FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1',
    );
    expect(stored!.note).toBe(made!.note);
  });

  it('waits for a hole in seq, then seals it with an audit.gap record once older than the grace time', async () => {
    // A sequence value taken and never committed: what a failed or killed append leaves.
    const hole = appended + 1;
    await db.query("SELECT nextval('audit_log_seq')");
    await append(5);
    now = Date.now();
    expect(await checkpointer.run()).toBeUndefined(); // the hole is younger than gapGraceMs
    now += 5000;
    const made = await checkpointer.run();
    expect(made?.size).toBe(appended + 1);
    const [gap] = await db.query<AuditRow>(`SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE seq = $1`, [hole]);
    expect(gap).toMatchObject({ action: 'audit.gap', actor: 'audit-sequencer', outcome: 'error' });
    const all = await leaves();
    expect(all).toHaveLength(appended + 1);
    const leaf = hole - 1;
    expect(verifyInclusion(leaf, made!.size, all[leaf]!, inclusionProof(leaf, made!.size, all), made!.root)).toBe(true);
  });
});

describe('tree sizes across a power of ten (PGlite)', () => {
  let db: Db;
  beforeAll(async () => {
    db = await createPgliteDb({ dataDir: 'memory://' });
    await migrate(db, MIGRATIONS);
  }, 60_000);
  afterAll(() => db?.close());

  it('takes the largest checkpoint as the latest, not the one whose size sorts last as text', async () => {
    const writer = new AuditWriter(db, { maxBatch: 64 }, new Registry());
    const checkpointer = sequencer(db, 1000);
    const sizes: number[] = [];
    for (const count of [9, 1, 1]) {
      for (let i = 0; i < count; i++) await writer.append(entry(i));
      sizes.push((await checkpointer.run())!.size);
    }
    expect(sizes).toEqual([9, 10, 11]); // '9' sorts after '10' and '11' as text
    expect(await checkpointer.run()).toBeUndefined(); // nothing new: no round, no duplicate size
    expect(verifyCheckpoint((await latestCheckpointNote(db))!, VKEY).size).toBe(11);
    const proofs = new AuditProofs(db);
    expect(await proofs.inclusion(11)).toMatchObject({ treeSize: 11 });
    expect(await proofs.consistency(9)).toMatchObject({ fromSize: 9, toSize: 11 });
  });
});
