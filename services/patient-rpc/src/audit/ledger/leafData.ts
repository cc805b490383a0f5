import { recordLeafData } from '../../domain/auditLeafData.js';
import { toAuditRecord, type AuditRow } from '../AuditLog.js';
import { leafHash, type Hash } from './merkle.js';

/** The leaf bytes of a stored row (domain/auditLeafData.ts says which bytes). */
export function auditLeafData(row: AuditRow): Buffer {
  return recordLeafData(toAuditRecord(row));
}

/** RFC 9162 leaf hash of a record. */
export const auditLeafHash = (row: AuditRow): Hash => leafHash(auditLeafData(row));
