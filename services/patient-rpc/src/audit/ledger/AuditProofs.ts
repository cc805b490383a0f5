import type { Queryable } from '../../store/Db.js';
import { AUDIT_COLUMNS, type AuditRow } from '../AuditLog.js';
import { auditLeafData } from './leafData.js';
import type { Hash } from './merkle.js';
import { storedConsistencyProof, storedInclusionProof } from './storedTree.js';

/** A record, the bytes its leaf hashes, and its inclusion proof in a signed checkpoint. */
export interface RecordProof {
  row: AuditRow;
  leafData: Buffer;
  leafIndex: number;
  treeSize: number;
  inclusion: Hash[];
  checkpoint: string;
}

/** Proof that the tree of `toSize` extends the tree of `fromSize`. */
export interface ConsistencyProof {
  fromSize: number;
  toSize: number;
  consistency: Hash[];
  /** The signed note of fromSize, when a checkpoint was signed at that size. */
  fromCheckpoint: string | undefined;
  toCheckpoint: string;
}

/** Why there is no proof to give (the caller's request is fine; the thing asked for is not there). */
export type ProofMissing = { missing: string };

/** Serves the proofs of the ledger from the database (any replica answers; the sequencer need not). */
export class AuditProofs {
  constructor(private readonly db: Queryable) {}

  /** `seq`'s record proved against the checkpoint of `treeSize`, or the latest one. */
  async inclusion(seq: number, treeSize?: number): Promise<RecordProof | ProofMissing> {
    const [row] = await this.db.query<AuditRow>(`SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE seq = $1`, [seq]);
    if (!row) return { missing: `audit record ${seq} not found` };
    const checkpoint = await this.#checkpoint(treeSize);
    if (!checkpoint) return { missing: noCheckpoint(treeSize) };
    if (seq > checkpoint.size)
      return { missing: `no checkpoint covers audit record ${seq} yet (latest: ${checkpoint.size} records)` };
    const inclusion = await storedInclusionProof(this.db, seq - 1, checkpoint.size);
    return {
      row,
      leafData: auditLeafData(row),
      leafIndex: seq - 1,
      treeSize: checkpoint.size,
      inclusion,
      checkpoint: checkpoint.note,
    };
  }

  /** The consistency proof from `fromSize` to the checkpoint of `toSize`, or the latest one. */
  async consistency(fromSize: number, toSize?: number): Promise<ConsistencyProof | ProofMissing> {
    const to = await this.#checkpoint(toSize);
    if (!to) return { missing: noCheckpoint(toSize) };
    if (fromSize > to.size) return { missing: `the checkpoint of ${to.size} records is older than size ${fromSize}` };
    const from = await this.#checkpoint(fromSize);
    return {
      fromSize,
      toSize: to.size,
      consistency: await storedConsistencyProof(this.db, fromSize, to.size),
      fromCheckpoint: from?.note,
      toCheckpoint: to.note,
    };
  }

  async #checkpoint(size: number | undefined): Promise<{ size: number; note: string } | undefined> {
    const [row] = await this.db.query<{ tree_size: string; note: string }>(
      size === undefined
        ? 'SELECT tree_size::text AS tree_size, note FROM audit_checkpoints ORDER BY audit_checkpoints.tree_size DESC LIMIT 1'
        : 'SELECT tree_size::text AS tree_size, note FROM audit_checkpoints WHERE tree_size = $1',
      size === undefined ? [] : [size],
    );
    return row && { size: Number(row.tree_size), note: row.note };
  }
}

const noCheckpoint = (size: number | undefined): string =>
  size === undefined ? 'no audit checkpoint has been signed yet' : `no audit checkpoint was signed at size ${size}`;

export const isProofMissing = (r: object): r is ProofMissing => 'missing' in r;
