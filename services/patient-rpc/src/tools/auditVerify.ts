import type { AuditRecord } from '@patient-mesh/contract';
import { AuditLog } from '../audit/AuditLog.js';
import type { ChainBreak } from '../domain/auditChain.js';
import { recordLeafData } from '../domain/auditLeafData.js';
import { isCheckpointError, verifyCheckpoint, type Checkpoint } from '../audit/ledger/checkpoint.js';
import { leafHash, verifyConsistency, verifyInclusion } from '../audit/ledger/merkle.js';
import { verifyLedger, type LedgerReport } from '../audit/ledger/verifyLedger.js';
import { createPgDb } from '../store/createPgDb.js';
import { createPgliteDb } from '../store/createPgliteDb.js';
import type { Queryable } from '../store/Db.js';

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
  /** Records of the hash chain (those written before the ledger) that verified. */
  checked: number;
  firstBreak: ChainBreak | undefined;
  /** Present when a verifier key was given: the log against every checkpoint that verifies. */
  ledger?: LedgerReport;
  /** Checkpoints given from outside the database, and read from it (signatures verified). */
  published: number;
  stored: number;
  /** Sizes of checkpoints in the database whose signature fails: forged or altered. */
  forged: number[];
  /** Sizes signed twice with different roots: the key signed two different logs. */
  forks: number[];
}

/**
 * Walks the hash chain of the records written before the ledger and, given the verifier
 * key, checks the whole log against every checkpoint: those the verifier holds from
 * outside the database (a given checkpoint whose signature fails throws), and those stored
 * in it (one whose signature fails is reported as forged). Stored checkpoints alone reveal
 * rewrites of what they cover, not a truncation that also removed them: that takes a
 * checkpoint published outside.
 */
export async function verifyAuditTrail(options: AuditVerifyOptions): Promise<AuditVerifyResult> {
  const published = (options.checkpoints ?? []).map((note) => {
    if (!options.verifierKey) throw new Error('checkpoints given without a verifier key');
    return verifyCheckpoint(note, options.verifierKey);
  });
  const db = options.databaseUrl
    ? createPgDb({ url: options.databaseUrl, poolMax: 1, statementTimeoutMs: 600_000 })
    : await createPgliteDb({ dataDir: options.pgliteDir ?? '.data/pglite' });
  try {
    const chain = await new AuditLog(db).verify();
    const result = { ...chain, published: published.length, stored: 0, forged: [], forks: [] };
    if (!options.verifierKey) return result;
    const stored = await storedCheckpoints(db, options.verifierKey);
    const bySize = new Map<number, Checkpoint>();
    const forks = new Set<number>();
    for (const c of [...published, ...stored.verified]) {
      const seen = bySize.get(c.size);
      if (seen && !seen.root.equals(c.root)) forks.add(c.size);
      bySize.set(c.size, seen ?? c);
    }
    return {
      ...result,
      stored: stored.verified.length,
      forged: stored.forged,
      forks: [...forks],
      ledger: await verifyLedger(db, [...bySize.values()]),
    };
  } finally {
    await db.close();
  }
}

async function storedCheckpoints(db: Queryable, verifierKey: string) {
  const rows = await db.query<{ tree_size: string; note: string }>(
    'SELECT tree_size::text AS tree_size, note FROM audit_checkpoints ORDER BY audit_checkpoints.tree_size',
  );
  const verified: Checkpoint[] = [];
  const forged: number[] = [];
  for (const row of rows) {
    try {
      const checkpoint = verifyCheckpoint(row.note, verifierKey);
      if (checkpoint.size === Number(row.tree_size)) verified.push(checkpoint);
      else forged.push(Number(row.tree_size));
    } catch (error) {
      if (!isCheckpointError(error)) throw error;
      forged.push(Number(row.tree_size));
    }
  }
  return { verified, forged };
}

/** A proof as GET /api/v1/audit/{seq}/proof or /api/v1/audit/consistency returns it. */
export type ProofDocument =
  | {
      record: AuditRecord;
      leafData: string;
      leafIndex: number;
      treeSize: number;
      inclusion: string[];
      checkpoint: string;
    }
  | {
      fromSize: number;
      toSize: number;
      consistency: string[];
      fromCheckpoint?: string;
      toCheckpoint: string;
    };

export interface ProofFinding {
  ok: boolean;
  detail: string;
}

/**
 * Checks a proof document offline, without the database: the checkpoint's signature, then
 * (inclusion) that leafData is the record's canonical form and its path reaches the signed
 * root, or (consistency) that the later signed tree extends the earlier one. A checkpoint
 * the verifier holds (`trusted`) at the same size takes precedence over the one the proof
 * carries, and must agree with it. A signature that fails throws (CheckpointError).
 */
export function verifyProofDocument(
  doc: ProofDocument,
  verifierKey: string,
  trusted: readonly Checkpoint[] = [],
): ProofFinding {
  const held = (size: number) => trusted.find((c) => c.size === size);
  const signedAt = (note: string, size: number): Checkpoint | string => {
    const signed = verifyCheckpoint(note, verifierKey);
    if (signed.size !== size) return `the checkpoint is of ${signed.size} records, not ${size}`;
    const mine = held(size);
    if (mine && !mine.root.equals(signed.root))
      return `the proof's checkpoint of ${size} records has another root than the one held: the log forked`;
    return signed;
  };
  const fail = (detail: string): ProofFinding => ({ ok: false, detail });

  if ('record' in doc) {
    const seq = Number(doc.record.seq);
    const checkpoint = signedAt(doc.checkpoint, doc.treeSize);
    if (typeof checkpoint === 'string') return fail(checkpoint);
    const leaf = Buffer.from(doc.leafData, 'base64');
    if (!leaf.equals(recordLeafData(doc.record))) return fail(`leafData is not the canonical form of record ${seq}`);
    if (doc.leafIndex !== seq - 1) return fail(`leaf index ${doc.leafIndex} is not seq ${seq} - 1`);
    const path = doc.inclusion.map((h) => Buffer.from(h, 'base64'));
    if (!verifyInclusion(doc.leafIndex, doc.treeSize, leafHash(leaf), path, checkpoint.root))
      return fail(`record ${seq}: the inclusion proof does not reach the root signed for ${doc.treeSize} records`);
    return { ok: true, detail: `record ${seq} is in the signed log of ${doc.treeSize} records` };
  }

  const to = signedAt(doc.toCheckpoint, doc.toSize);
  if (typeof to === 'string') return fail(to);
  let from = held(doc.fromSize);
  if (!from && doc.fromCheckpoint) {
    const signed = signedAt(doc.fromCheckpoint, doc.fromSize);
    if (typeof signed === 'string') return fail(signed);
    from = signed;
  }
  if (!from) return fail(`no checkpoint of ${doc.fromSize} records to check against: give it with --checkpoints`);
  const proof = doc.consistency.map((h) => Buffer.from(h, 'base64'));
  if (!verifyConsistency(from.size, to.size, from.root, to.root, proof))
    return fail(`the log of ${to.size} records does not extend the one of ${from.size}: rewritten or forked`);
  return { ok: true, detail: `the signed log of ${to.size} records extends the one of ${from.size}` };
}
