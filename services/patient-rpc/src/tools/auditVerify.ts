import { AuditLog } from '../audit/AuditLog.js';
import type { ChainBreak } from '../audit/auditChain.js';
import { createPgDb } from '../store/createPgDb.js';
import { createPgliteDb } from '../store/createPgliteDb.js';

export interface AuditVerifyOptions {
  /** PostgreSQL URL; or */
  databaseUrl?: string;
  /** a PGlite data directory (stop patient-rpc first: PGlite is single-process). */
  pgliteDir?: string;
}

/** Walks the whole audit chain of a store; returns how many records verified and the first break. */
export async function verifyAuditTrail(
  options: AuditVerifyOptions,
): Promise<{ checked: number; firstBreak: ChainBreak | undefined }> {
  const db = options.databaseUrl
    ? createPgDb({ url: options.databaseUrl, poolMax: 1, statementTimeoutMs: 600_000 })
    : await createPgliteDb({ dataDir: options.pgliteDir ?? '.data/pglite' });
  try {
    return await new AuditLog(db).verify();
  } finally {
    await db.close();
  }
}
