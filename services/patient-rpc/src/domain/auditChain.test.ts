import { describe, expect, it } from 'vitest';
import { chain, GENESIS_HASH, verifyChain, type AuditEntry } from './auditChain.js';

const entry = (i: number): AuditEntry => ({
  actor: `user-${i}`,
  role: 'clinician',
  action: 'patient.read',
  patientId: `p-${i % 3}`,
  outcome: 'ok',
  requestId: `r-${i}`,
  traceId: '',
});

describe('audit chain', () => {
  const first = chain([entry(1), entry(2)], { seq: 0n, hash: GENESIS_HASH }, new Date('2026-01-01T00:00:00.000Z'));
  const records = [
    ...first,
    ...chain([entry(3), entry(4)], { seq: 2n, hash: first[1]!.hash }, new Date('2026-01-01T00:00:01.000Z')),
  ];

  it('links each record to the previous one and verifies', () => {
    expect(records.map((r) => r.seq)).toEqual([1n, 2n, 3n, 4n]);
    expect(records[0]!.prevHash).toBe(GENESIS_HASH);
    expect(records[2]!.prevHash).toBe(records[1]!.hash);
    expect(verifyChain(records)).toBeUndefined();
  });

  it('names the first record that was changed, removed or reordered', () => {
    const edited = records.map((r) => (r.seq === 3n ? { ...r, actor: 'mallory' } : r));
    expect(verifyChain(edited)).toEqual({ seq: 3n, reason: 'hash mismatch' });
    expect(verifyChain(records.filter((r) => r.seq !== 2n))).toEqual({ seq: 3n, reason: 'sequence gap' });
    const rehashed = records.map((r) => (r.seq === 2n ? { ...r, hash: 'f'.repeat(64) } : r));
    expect(verifyChain(rehashed)).toEqual({ seq: 2n, reason: 'hash mismatch' });
    const swapped = [records[0]!, { ...records[2]!, seq: 2n }, { ...records[1]!, seq: 3n }, records[3]!];
    expect(verifyChain(swapped)?.seq).toBe(2n);
  });
});
