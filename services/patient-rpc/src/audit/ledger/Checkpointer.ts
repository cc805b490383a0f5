import { appendFile } from 'node:fs/promises';
import type { Logger } from '@patient-mesh/runtime';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Db, Queryable } from '../../store/Db.js';
import { formatCheckpoint, type NoteSigner } from './checkpoint.js';
import { AuditLog, type AuditRow } from '../AuditLog.js';
import { auditLeafHash } from './leafData.js';
import { CompactRange, type Hash } from './merkle.js';
import { storeCompletedTiles } from './storedTree.js';

/** Advisory lock key of the one sequencer at a time: "patient-mesh audit ledger". */
const LEDGER_LOCK = 7_215_002;
const HASH_BYTES = 32;

export interface CheckpointerOptions {
  origin: string;
  intervalMs: number;
  maxBatch: number;
  /** A hole in seq (a sequence value whose transaction never committed) older than this is sealed. */
  gapGraceMs: number;
}

/**
 * Somewhere outside the database that keeps each checkpoint once it is committed: what a
 * verifier later trusts. Publishing is at least once (a checkpoint may reach a sink again
 * after a crash); a failure is logged and does not undo the checkpoint. Production users
 * would add a write-once store here, e.g. an S3 bucket with object lock (PutObject of the
 * note under its tree size, with the bucket's retention).
 */
export interface CheckpointSink {
  readonly name: string;
  publish(checkpoint: SignedCheckpoint, time: Date): Promise<void>;
}

/** Appends each checkpoint to a file as a JSON line {"time", "note"} (development and tests). */
export const fileSink = (path: string): CheckpointSink => ({
  name: `file:${path}`,
  publish: (checkpoint, time) =>
    appendFile(path, `${JSON.stringify({ time: time.toISOString(), note: checkpoint.note })}\n`),
});

export interface CheckpointerDeps {
  db: Db;
  signer: NoteSigner;
  logger: Logger;
  registry: Registry;
  /** Besides the log line and the admin endpoint (which reads the database). */
  sinks?: readonly CheckpointSink[];
  now?: () => number;
}

/** A checkpoint this replica made and published. */
export interface SignedCheckpoint {
  size: number;
  root: Buffer;
  note: string;
}

/**
 * The sequencer: puts the audit trail into a Merkle tree (RFC 9162: one leaf per record, in
 * seq order) and signs a checkpoint of it (C2SP tlog-checkpoint: origin, size, root) every
 * `intervalMs` when there are new records. One replica at a time does it: each round is a
 * transaction that first takes a transaction-scoped advisory lock, so a replica that dies
 * mid-round releases it with its rolled-back work and the next round, on any replica,
 * starts from the last committed checkpoint. The tree's right border is stored with each
 * checkpoint, so a round reads only the new records. Checkpoints are published outside
 * the database: a log line, the sinks (a file in development), and the admin endpoint.
 *
 * Writers take seq from a sequence and commit in any order, so a round extends the tree by
 * the gap-free run of seq after it. A hole that outlives `gapGraceMs` is a sequence value
 * whose transaction rolled back (a failed or killed append): the round seals it with an
 * `audit.gap` record, which is as much part of the signed trail as any other.
 */
export class Checkpointer {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  readonly #made: Counter;
  readonly #size: Gauge;
  readonly #lag: Gauge;
  readonly #delay: Histogram;
  readonly #gaps: Counter;
  readonly #now: () => number;

  constructor(
    private readonly options: CheckpointerOptions,
    private readonly deps: CheckpointerDeps,
  ) {
    this.#now = deps.now ?? Date.now;
    this.#made = new Counter({
      name: 'audit_checkpoints_total',
      help: 'Signed audit checkpoints this replica made.',
      registers: [deps.registry],
    });
    this.#size = new Gauge({
      name: 'audit_checkpoint_size',
      help: 'Records covered by the latest checkpoint this replica made or saw.',
      registers: [deps.registry],
    });
    this.#lag = new Gauge({
      name: 'audit_integration_lag_seconds',
      help: 'Age of the oldest audit record no checkpoint covers yet, at the last round (0 when all are covered).',
      registers: [deps.registry],
    });
    this.#delay = new Histogram({
      name: 'audit_integration_delay_seconds',
      help: 'Time from an audit record being appended to its integration into the signed tree.',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers: [deps.registry],
    });
    this.#gaps = new Counter({
      name: 'audit_sequence_gaps_total',
      help: 'Sequence values sealed with an audit.gap record (appends whose transaction never committed).',
      registers: [deps.registry],
    });
  }

  start(): void {
    const tick = () => {
      this.#running = this.run()
        .catch((error: unknown) => this.deps.logger.error({ err: error }, 'audit checkpoint round failed'))
        .finally(() => {
          this.#running = undefined;
          if (this.#timer) this.#timer = setTimeout(tick, this.options.intervalMs).unref();
        });
    };
    this.#timer = setTimeout(tick, this.options.intervalMs).unref();
  }

  /** Stops the rounds; a final one covers every record committed so far (the audit writer flushes first). */
  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
    await this.run();
  }

  /** One round; the checkpoint made, or undefined (nothing new, or another replica holds the lock). */
  async run(): Promise<SignedCheckpoint | undefined> {
    const made = await this.deps.db.transaction((tx) => this.#round(tx));
    if (!made) return undefined;
    this.#made.inc();
    this.#size.set(made.size);
    const time = new Date(this.#now());
    for (const sink of this.deps.sinks ?? [])
      await sink
        .publish(made, time)
        .catch((error: unknown) =>
          this.deps.logger.error({ err: error, sink: sink.name, treeSize: made.size }, 'audit checkpoint sink failed'),
        );
    this.deps.logger.info(
      { treeSize: made.size, root: made.root.toString('base64'), note: made.note },
      'audit checkpoint',
    );
    return made;
  }

  async #round(tx: Queryable): Promise<SignedCheckpoint | undefined> {
    const [lock] = await tx.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [LEDGER_LOCK]);
    if (!lock?.locked) return undefined;
    const range = await latestRange(tx);
    const from = range.size;
    this.#size.set(from);
    const log = new AuditLog(tx);
    let rows = await log.after(from, this.options.maxBatch);
    if (await this.#sealGaps(tx, from, rows)) rows = await log.after(from, this.options.maxBatch);
    const leaves: Hash[] = [];
    const now = this.#now();
    for (const row of rows) {
      if (Number(row.seq) !== range.size + 1) break;
      const leaf = auditLeafHash(row);
      range.append(leaf);
      leaves.push(leaf);
      this.#delay.observe(Math.max(0, (now - new Date(row.time).getTime()) / 1000));
    }
    const pending = rows[leaves.length];
    this.#lag.set(pending ? Math.max(0, (now - new Date(pending.time).getTime()) / 1000) : 0);
    if (leaves.length === 0) return undefined;
    await storeCompletedTiles(tx, from, leaves);
    const root = range.root();
    const note = this.deps.signer.sign(formatCheckpoint({ origin: this.options.origin, size: range.size, root }));
    await tx.query(
      'INSERT INTO audit_checkpoints (tree_size, root_hash, compact_range, note) VALUES ($1, $2, $3, $4)',
      [range.size, root, Buffer.concat(range.hashes), note],
    );
    return { size: range.size, root, note };
  }

  /**
   * Seals the holes in seq before records older than the grace time with `audit.gap`
   * records (at most one batch of them a round). A writer whose transaction is still open
   * holds its seq in the primary key: the INSERT waits for it and, if it commits, keeps the
   * writer's record. True when any was sealed.
   */
  async #sealGaps(tx: Queryable, size: number, rows: readonly AuditRow[]): Promise<boolean> {
    const holes: number[] = [];
    let expected = size + 1;
    for (const row of rows) {
      const seq = Number(row.seq);
      if (seq > expected) {
        if (this.#now() - new Date(row.time).getTime() < this.options.gapGraceMs) break;
        for (let s = expected; s < seq && holes.length < this.options.maxBatch; s++) holes.push(s);
      }
      expected = seq + 1;
    }
    if (holes.length === 0) return false;
    const sealed = await tx.query<{ seq: string }>(
      `INSERT INTO audit_log (seq, time, actor, role, action, patient_id, outcome, request_id, trace_id)
       SELECT s, now(), 'audit-sequencer', 'system', 'audit.gap', '', 'error', '', '' FROM unnest($1::bigint[]) AS s
       ON CONFLICT (seq) DO NOTHING RETURNING seq::text AS seq`,
      [holes],
    );
    if (sealed.length > 0) {
      this.#gaps.inc(sealed.length);
      this.deps.logger.warn(
        { from: sealed[0]!.seq, to: sealed.at(-1)!.seq, count: sealed.length },
        'audit sequence gap sealed: appends that never committed',
      );
    }
    return true;
  }
}

/** The tree as of the latest checkpoint (empty before the first). */
async function latestRange(db: Queryable): Promise<CompactRange> {
  const [last] = await db.query<{ tree_size: string; compact_range: Uint8Array }>(
    'SELECT tree_size::text AS tree_size, compact_range FROM audit_checkpoints ORDER BY audit_checkpoints.tree_size DESC LIMIT 1',
  );
  if (!last) return CompactRange.empty();
  const bytes = Buffer.from(last.compact_range);
  const hashes = Array.from({ length: bytes.length / HASH_BYTES }, (_, i) =>
    bytes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES),
  );
  return CompactRange.of(Number(last.tree_size), hashes);
}

/** The signed note of the latest checkpoint, from the database (any replica answers). */
export async function latestCheckpointNote(db: Queryable): Promise<string | undefined> {
  const [last] = await db.query<{ note: string }>(
    'SELECT note FROM audit_checkpoints ORDER BY audit_checkpoints.tree_size DESC LIMIT 1',
  );
  return last?.note;
}
