import { createHash } from 'node:crypto';
import type { AuditOutcome } from '@patient-mesh/contract';

// The hash chain that linked audit records before the ledger: each record carried the hash
// of the one before. It serialised every append of every replica on one tail and, unkeyed,
// could be recomputed by anyone who edits a record; records are now appended by sequence
// and linked by the signed Merkle tree (ledger/). The chain stays verifiable for the
// records written under it, which also become the tree's first leaves.

/** What is recorded for one access to patient data. */
export interface AuditEntry {
  actor: string;
  role: string;
  action: string;
  patientId: string;
  outcome: AuditOutcome;
  requestId: string;
  traceId: string;
}

/** An entry placed in the chain (records written before the ledger). */
export interface ChainedRecord extends AuditEntry {
  seq: bigint;
  time: Date;
  prevHash: string;
  hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);

/** The hash of a record: SHA-256 over its fields and the previous record's hash. */
export function hashRecord(r: Omit<ChainedRecord, 'hash'>): string {
  const canonical = JSON.stringify([
    r.seq.toString(),
    r.time.toISOString(),
    r.actor,
    r.role,
    r.action,
    r.patientId,
    r.outcome,
    r.requestId,
    r.traceId,
    r.prevHash,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** Chains `entries` after the record (`seq`, `hash`) currently last: how those records were written. */
export function chain(
  entries: readonly AuditEntry[],
  last: { seq: bigint; hash: string },
  time: Date,
): ChainedRecord[] {
  let { seq, hash: prevHash } = last;
  return entries.map((entry) => {
    seq += 1n;
    const record = { ...entry, seq, time, prevHash };
    const hash = hashRecord(record);
    prevHash = hash;
    return { ...record, hash };
  });
}

/** A break in the chain: the first record whose link or hash does not verify. */
export interface ChainBreak {
  seq: bigint;
  reason: 'sequence gap' | 'previous hash mismatch' | 'hash mismatch';
}

/** Walks records in seq order; returns the first break, if any. */
export function verifyChain(
  records: Iterable<ChainedRecord>,
  start: { seq: bigint; hash: string } = { seq: 0n, hash: GENESIS_HASH },
): ChainBreak | undefined {
  let expected = start;
  for (const r of records) {
    if (r.seq !== expected.seq + 1n) return { seq: r.seq, reason: 'sequence gap' };
    if (r.prevHash !== expected.hash) return { seq: r.seq, reason: 'previous hash mismatch' };
    if (hashRecord(r) !== r.hash) return { seq: r.seq, reason: 'hash mismatch' };
    expected = { seq: r.seq, hash: r.hash };
  }
  return undefined;
}
