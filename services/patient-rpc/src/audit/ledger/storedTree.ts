import type { Queryable } from '../../store/Db.js';
import { AUDIT_COLUMNS, type AuditRow } from '../AuditLog.js';
import { auditLeafHash } from './leafData.js';
import {
  consistencyProofOf,
  inclusionProofOf,
  isPowerOfTwo,
  nodeHash,
  rootOf,
  splitPoint,
  type Hash,
  type SubtreeHasher,
} from './merkle.js';

/** Leaves per tile: tile t is the perfect subtree over leaves t*TILE .. t*TILE+TILE-1 (seq = index + 1). */
export const TILE = 256;
const ZERO = Buffer.alloc(32);
const PLACEHOLDER_TILE: Hash[] = Array.from({ length: TILE }, () => ZERO);

const missingRecords = Symbol.for('patient-mesh.MissingRecordsError');

/** The log does not hold the records a signed tree needs: it was truncated or a record removed. */
export class MissingRecordsError extends Error {
  readonly [missingRecords] = true;
  override readonly name = 'MissingRecordsError';
}

export const isMissingRecordsError = (e: unknown): e is MissingRecordsError =>
  typeof e === 'object' && e !== null && missingRecords in e;

/** The leaf hashes of the records with seq start+1 .. end (tree indices start .. end-1). */
export async function readLeaves(db: Queryable, start: number, end: number): Promise<Hash[]> {
  const rows = await db.query<AuditRow>(
    `SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE seq > $1 AND seq <= $2 ORDER BY audit_log.seq`,
    [start, end],
  );
  if (rows.length !== end - start || rows.some((r, i) => Number(r.seq) !== start + i + 1))
    throw new MissingRecordsError(`the log does not hold every record with seq ${start + 1}..${end}`);
  return rows.map(auditLeafHash);
}

/**
 * Stores the roots of the tiles that the leaves `leaves` (tree indices from .. from+n-1)
 * complete. The first may have begun in an earlier round: its earlier leaves are read back.
 */
export async function storeCompletedTiles(db: Queryable, from: number, leaves: readonly Hash[]): Promise<void> {
  const end = from + leaves.length;
  const roots: Array<[number, Hash]> = [];
  for (let t = Math.floor(from / TILE); (t + 1) * TILE <= end; t++) {
    const start = t * TILE;
    const earlier = start < from ? await readLeaves(db, start, from) : [];
    roots.push([t, rootOf([...earlier, ...leaves.slice(Math.max(0, start - from), start + TILE - from)])]);
  }
  await insertTiles(db, roots);
}

async function insertTiles(db: Queryable, roots: ReadonlyArray<[number, Hash]>): Promise<void> {
  if (roots.length === 0) return;
  const values = roots.map((_, i) => `($${2 * i + 1}::bigint, $${2 * i + 2}::bytea)`).join(', ');
  await db.query(`INSERT INTO audit_tiles (tile, root) VALUES ${values} ON CONFLICT (tile) DO NOTHING`, roots.flat());
}

/**
 * Builds a proof over the stored tree of `size` leaves, reading only what it needs: `build`
 * runs twice, first against placeholders to learn which tile roots and which tiles' leaves
 * the proof touches (the shape of a proof does not depend on hash values), then against
 * those, read in two queries. Subtrees of whole tiles come from audit_tiles; the rest
 * (below a tile, and the tree's unfinished right edge) is hashed from the records. Tile
 * roots missing from audit_tiles (trees begun before it) are computed and stored.
 */
export async function proveStored<T>(db: Queryable, size: number, build: (mth: SubtreeHasher) => T): Promise<T> {
  const wantRoots = new Set<number>();
  const wantLeaves = new Set<number>();
  build(
    hasher(
      size,
      (t) => (wantRoots.add(t), ZERO),
      (t) => (wantLeaves.add(t), PLACEHOLDER_TILE),
    ),
  );

  const roots = new Map<number, Hash>();
  if (wantRoots.size > 0) {
    const rows = await db.query<{ tile: string; root: Uint8Array }>(
      'SELECT tile::text AS tile, root FROM audit_tiles WHERE tile = ANY($1::bigint[])',
      [[...wantRoots]],
    );
    for (const r of rows) roots.set(Number(r.tile), Buffer.from(r.root));
  }
  const missing = [...wantRoots].filter((t) => !roots.has(t));
  const leaves = new Map<number, Hash[]>();
  for (const t of new Set([...wantLeaves, ...missing]))
    leaves.set(t, await readLeaves(db, t * TILE, Math.min(size, (t + 1) * TILE)));
  const healed: Array<[number, Hash]> = missing.map((t) => [t, rootOf(leaves.get(t)!)]);
  for (const [t, root] of healed) roots.set(t, root);
  await insertTiles(db, healed);

  return build(
    hasher(
      size,
      (t) => roots.get(t)!,
      (t) => leaves.get(t)!,
    ),
  );
}

/** MTH over a tree held as tile roots and tiles of leaves. */
function hasher(size: number, tileRoot: (tile: number) => Hash, tileLeaves: (tile: number) => Hash[]): SubtreeHasher {
  const mth: SubtreeHasher = (start, end) => {
    if (end > size || start >= end) throw new RangeError(`no subtree ${start}..${end} in a tree of ${size}`);
    const count = end - start;
    if (count >= TILE && start % TILE === 0 && isPowerOfTwo(count))
      return rootOf(Array.from({ length: count / TILE }, (_, i) => tileRoot(start / TILE + i)));
    const tile = Math.floor(start / TILE);
    if (tile === Math.floor((end - 1) / TILE)) {
      return rootOf(tileLeaves(tile).slice(start - tile * TILE, end - tile * TILE));
    }
    const k = splitPoint(count);
    return nodeHash(mth(start, start + k), mth(start + k, end));
  };
  return mth;
}

export const storedInclusionProof = (db: Queryable, index: number, size: number): Promise<Hash[]> =>
  proveStored(db, size, (mth) => inclusionProofOf(index, size, mth));

export const storedConsistencyProof = (db: Queryable, m: number, n: number): Promise<Hash[]> =>
  proveStored(db, n, (mth) => consistencyProofOf(m, n, mth));
