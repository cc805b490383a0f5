import { AuditLog } from '../audit/AuditLog.js';
import type { ChainBreak } from '../audit/auditChain.js';
import { verifyCheckpoint } from '../audit/ledger/checkpoint.js';
import { verifyLedger, type LedgerReport } from '../audit/ledger/verifyLedger.js';
import { createPgDb } from '../store/createPgDb.js';
import { createPgliteDb } from '../store/createPgliteDb.js';

export interface AuditVerifyOptions {
  /** PostgreSQL URL; or */
  databaseUrl?: string;
  /** a PGlite data directory (stop patient-rpc first: PGlite is single-process). */
  pgliteDir?: string;
  /** Signed checkpoints (C2SP signed notes) the verifier holds, from outside the database. */
  checkpoints?: readonly string[];
  /** The verifier key they must be signed with (scripts/audit-key.ts prints it). */
  verifierKey?: string;
}

export interface AuditVerifyResult {
  checked: number;
  firstBreak: ChainBreak | undefined;
  /** Present when checkpoints were given. */
  ledger?: LedgerReport;
}

/**
 * Walks the whole audit chain of a store, and checks it against the given checkpoints
 * (each signature verified first: a checkpoint that does not verify throws).
 */
export async function verifyAuditTrail(options: AuditVerifyOptions): Promise<AuditVerifyResult> {
  const trusted = (options.checkpoints ?? []).map((note) => {
    if (!options.verifierKey) throw new Error('checkpoints given without a verifier key');
    return verifyCheckpoint(note, options.verifierKey);
  });
  const db = options.databaseUrl
    ? createPgDb({ url: options.databaseUrl, poolMax: 1, statementTimeoutMs: 600_000 })
    : await createPgliteDb({ dataDir: options.pgliteDir ?? '.data/pglite' });
  try {
    const chain = await new AuditLog(db).verify();
    return trusted.length > 0 ? { ...chain, ledger: await verifyLedger(db, trusted) } : chain;
  } finally {
    await db.close();
  }
}
