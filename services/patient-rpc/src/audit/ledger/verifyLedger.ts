import type { Queryable } from '../../store/Db.js';
import type { Checkpoint } from './checkpoint.js';
import { AuditLog } from '../AuditLog.js';
import { auditLeafHash } from './leafData.js';
import { CompactRange } from './merkle.js';

/** What a trusted checkpoint says about the log as it is now. */
export interface CheckpointFinding {
  size: number;
  /** ok: the first `size` records are exactly what was signed. */
  status: 'ok' | 'truncated' | 'rewritten';
  detail: string;
}

export interface LedgerReport {
  /** Records in the log now. */
  records: number;
  /** The first seq that does not follow its predecessor (a deleted or inserted record), if any. */
  firstGap: bigint | undefined;
  findings: CheckpointFinding[];
}

/**
 * Checks the audit log against checkpoints the caller trusts (signatures already verified):
 * recomputes every record's leaf (RFC 9162, `leafData.ts`) in seq order and the tree's
 * root at each checkpoint's size, in one pass. A log shorter than a checkpoint was
 * truncated; a root that differs means a record at or before that size was edited,
 * removed, reordered or forged, wherever the hashes were recomputed; with several
 * checkpoints the change lies after the last one that still matches.
 */
export async function verifyLedger(
  db: Queryable,
  trusted: readonly Checkpoint[],
  pageSize = 5000,
): Promise<LedgerReport> {
  const pending = [...trusted].sort((a, b) => a.size - b.size);
  const findings: CheckpointFinding[] = [];
  const range = CompactRange.empty();
  let lastGood = 0;
  let firstGap: bigint | undefined;
  const check = () => {
    while (pending[0]?.size === range.size) {
      const checkpoint = pending.shift()!;
      if (range.root().equals(checkpoint.root)) {
        lastGood = checkpoint.size;
        findings.push({ size: checkpoint.size, status: 'ok', detail: 'the first records match the signed root' });
      } else
        findings.push({
          size: checkpoint.size,
          status: 'rewritten',
          detail: `the first ${checkpoint.size} records do not match the signed root: a record with seq ${lastGood + 1}..${checkpoint.size} was changed, removed, reordered or forged`,
        });
    }
  };
  check();
  for await (const rows of new AuditLog(db).pages(pageSize))
    for (const row of rows) {
      const seq = BigInt(row.seq);
      if (firstGap === undefined && seq !== BigInt(range.size + 1)) firstGap = seq;
      range.append(auditLeafHash(row));
      check();
    }
  for (const checkpoint of pending)
    findings.push({
      size: checkpoint.size,
      status: 'truncated',
      detail: `a checkpoint covers ${checkpoint.size} records but the log has ${range.size}: records were removed after seq ${Math.min(lastGood, range.size)}`,
    });
  return { records: range.size, firstGap, findings };
}
