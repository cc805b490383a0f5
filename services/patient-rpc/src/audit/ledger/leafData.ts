import type { AuditRow } from '../AuditLog.js';
import { leafHash, type Hash } from './merkle.js';

/**
 * The bytes a record's leaf commits to: the UTF-8 JSON array of every stored column, in
 * this order, `time` as ISO 8601 with milliseconds in UTC:
 * `["<seq>","<time>","<actor>","<role>","<action>","<patient_id>","<outcome>","<request_id>","<trace_id>","<prev_hash>","<hash>"]`.
 * Any edit of any column changes the leaf, so the root of every checkpoint covering it.
 */
export function auditLeafData(row: AuditRow): Buffer {
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
export const auditLeafHash = (row: AuditRow): Hash => leafHash(auditLeafData(row));
