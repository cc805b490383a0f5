import type { AuditRecord } from '@patient-mesh/contract';

/**
 * The bytes a record's leaf in the audit ledger commits to: the UTF-8 JSON array
 * (JSON.stringify, no spaces) of every stored column, in this order, `time` as ISO 8601
 * with milliseconds in UTC, and the hash chain columns as "" when NULL (records written
 * after the chain):
 * `["<seq>","<time>","<actor>","<role>","<action>","<patient_id>","<outcome>","<request_id>","<trace_id>","<prev_hash>","<hash>"]`.
 * It is exactly the record as the API returns it (seq, time, actor, role, action, patientId,
 * outcome, requestId, traceId, prevHash, hash), so a verifier rebuilds it from that.
 * Any edit of any column changes the leaf, so the root of every checkpoint covering it.
 */
export function recordLeafData(r: AuditRecord): Buffer {
  return Buffer.from(
    JSON.stringify([
      r.seq,
      r.time,
      r.actor,
      r.role,
      r.action,
      r.patientId,
      r.outcome,
      r.requestId,
      r.traceId,
      r.prevHash,
      r.hash,
    ]),
    'utf8',
  );
}
