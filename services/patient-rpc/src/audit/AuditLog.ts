import type { AuditRecord } from '@patient-mesh/contract';
import type { Queryable } from '../store/Db.js';
import { verifyChain, type ChainBreak, type ChainedRecord } from '../domain/auditChain.js';

/** An audit_log row, every stored column. */
export interface AuditRow {
  seq: string;
  time: Date;
  actor: string;
  role: string;
  action: string;
  patient_id: string;
  outcome: ChainedRecord['outcome'];
  request_id: string;
  trace_id: string;
  /** The hash chain of records written before the ledger (migration 0005); NULL after it. */
  prev_hash: string | null;
  hash: string | null;
}

export const AUDIT_COLUMNS =
  'seq::text AS seq, time, actor, role, action, patient_id, outcome, request_id, trace_id, prev_hash, hash';

/** Reads the audit trail: per patient for auditors, whole for verification. */
export class AuditLog {
  constructor(private readonly db: Queryable) {}

  async forPatient(patientId: string, afterSeq: number, limit: number): Promise<AuditRecord[]> {
    const rows = await this.db.query<AuditRow>(
      `SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE patient_id = $1 AND seq > $2 ORDER BY audit_log.seq LIMIT $3`,
      [patientId, afterSeq, limit],
    );
    return rows.map(toAuditRecord);
  }

  /** At most `limit` records after seq `afterSeq`, in seq order. */
  after(afterSeq: string | number, limit: number): Promise<AuditRow[]> {
    return this.db.query<AuditRow>(
      `SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY audit_log.seq LIMIT $2`,
      [afterSeq, limit],
    );
  }

  /** The whole trail in seq order, a page at a time. */
  async *pages(pageSize = 5000): AsyncGenerator<AuditRow[]> {
    for (let after = '0'; ;) {
      const rows = await this.after(after, pageSize);
      if (rows.length > 0) yield rows;
      if (rows.length < pageSize) return;
      after = rows.at(-1)!.seq;
    }
  }

  /**
   * Verifies the hash chain of the records written before the ledger (the run of records
   * from seq 1 that carry a hash), in pages; returns the first break and how many records
   * verified. Later records are covered by the signed checkpoints instead (verifyLedger).
   */
  async verify(pageSize = 5000): Promise<{ checked: number; firstBreak: ChainBreak | undefined }> {
    let checked = 0;
    let last: { seq: bigint; hash: string } | undefined;
    for await (const rows of this.pages(pageSize)) {
      const chained = rows.findIndex((r) => r.hash === null);
      const records = (chained === -1 ? rows : rows.slice(0, chained)).map(toChained);
      const firstBreak = verifyChain(records, last);
      if (firstBreak) return { checked: checked + records.findIndex((r) => r.seq === firstBreak.seq), firstBreak };
      checked += records.length;
      if (chained !== -1) break;
      const tail = records.at(-1)!;
      last = { seq: tail.seq, hash: tail.hash };
    }
    return { checked, firstBreak: undefined };
  }
}

/** A row as the API returns it. */
export function toAuditRecord(r: AuditRow): AuditRecord {
  return {
    ...toChained(r),
    seq: r.seq,
    time: new Date(r.time).toISOString(),
    prevHash: r.prev_hash ?? '',
    hash: r.hash ?? '',
  };
}

/** A row as the chain sees it (a record written before the ledger, or a forgery of one). */
export function toChained(r: AuditRow): ChainedRecord {
  return {
    seq: BigInt(r.seq),
    time: new Date(r.time),
    actor: r.actor,
    role: r.role,
    action: r.action,
    patientId: r.patient_id,
    outcome: r.outcome,
    requestId: r.request_id,
    traceId: r.trace_id,
    prevHash: r.prev_hash ?? '',
    hash: r.hash ?? '',
  };
}
