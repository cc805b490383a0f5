import { leafHash, type Hash } from './merkle.js';

/** An audit_log row as the ledger reads it (every stored column). */
export interface LeafRow {
  seq: string;
  time: Date | string;
  actor: string;
  role: string;
  action: string;
  patient_id: string;
  outcome: string;
  request_id: string;
  trace_id: string;
  prev_hash: string;
  hash: string;
}

export const LEAF_COLUMNS =
  'seq::text AS seq, time, actor, role, action, patient_id, outcome, request_id, trace_id, prev_hash, hash';

/**
 * The bytes a record's leaf commits to: the UTF-8 JSON array of every stored column, in
 * this order, `time` as ISO 8601 with milliseconds in UTC:
 * `["<seq>","<time>","<actor>","<role>","<action>","<patient_id>","<outcome>","<request_id>","<trace_id>","<prev_hash>","<hash>"]`.
 * Any edit of any column changes the leaf, so the root of every checkpoint covering it.
 */
export function auditLeafData(row: LeafRow): Buffer {
  return Buffer.from(
    JSON.stringify([
      row.seq,
      new Date(row.time).toISOString(),
      row.actor,
      row.role,
      row.action,
      row.patient_id,
      row.outcome,
      row.request_id,
      row.trace_id,
      row.prev_hash,
      row.hash,
    ]),
    'utf8',
  );
}

/** RFC 9162 leaf hash of a record. */
export const auditLeafHash = (row: LeafRow): Hash => leafHash(auditLeafData(row));
