import { SpanStatusCode, trace } from '@opentelemetry/api';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { AuditEntry } from '../domain/auditChain.js';
import type { Db } from '../store/Db.js';
import { isUniqueViolation } from '../store/sqlState.js';

const COLUMNS = 8;
/** A batch whose sequence value the sequencer sealed as a gap is retried with new values this often. */
const MAX_RETRIES = 3;
const tracer = trace.getTracer('patient-rpc.audit');

export interface AuditWriterOptions {
  /** Most records written in one transaction. */
  maxBatch: number;
}

/**
 * Appends audit records with group commit: callers wait until their record is committed,
 * and records arriving while a commit is in flight go together in the next one.
 *
 * A batch is one INSERT (one round trip, atomic on its own) that takes each record's `seq`
 * from the `audit_log_seq` sequence: nothing is read first and nothing links to another
 * record, so replicas append side by side without contending. The sequencer
 * (ledger/Checkpointer.ts) then puts the records into the Merkle tree in seq order. The
 * only collision left is with a gap the sequencer sealed (a sequence value it judged
 * abandoned); the batch is then retried with new values and counted.
 */
export class AuditWriter {
  #queue: Array<{ entry: AuditEntry; done: (error?: unknown) => void }> = [];
  #flushing: Promise<void> | undefined;
  readonly #latency: Histogram;
  readonly #batchSize: Histogram;
  readonly #retries: Counter;

  constructor(
    private readonly db: Db,
    private readonly options: AuditWriterOptions,
    registry: Registry,
  ) {
    this.#latency = new Histogram({
      name: 'audit_append_duration_seconds',
      help: 'Time from an audit append request to its durable commit.',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    });
    this.#batchSize = new Histogram({
      name: 'audit_commit_batch_size',
      help: 'Audit records committed per transaction (group commit).',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
      registers: [registry],
    });
    this.#retries = new Counter({
      name: 'audit_append_retries_total',
      help: 'Audit batches committed again because a sequence value they took had been sealed as a gap (expected 0).',
      registers: [registry],
    });
  }

  /** Resolves once `entry` is committed; rejects if the commit failed. */
  append(entry: AuditEntry): Promise<void> {
    const end = this.#latency.startTimer();
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({
        entry,
        done: (error) => {
          end();
          if (error) reject(error instanceof Error ? error : new Error(String(error)));
          else resolve();
        },
      });
      this.#flushing ??= this.#drainQueue();
    });
  }

  /** Waits until every record appended so far is committed. */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }

  async #drainQueue(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.options.maxBatch);
        try {
          await tracer.startActiveSpan('audit.commit', async (span) => {
            span.setAttribute('audit.batch_size', batch.length);
            try {
              await this.#commit(batch.map((b) => b.entry));
            } catch (error) {
              span.setStatus({ code: SpanStatusCode.ERROR });
              throw error;
            } finally {
              span.end();
            }
          });
          for (const b of batch) b.done();
        } catch (error) {
          for (const b of batch) b.done(error);
        }
      }
    } finally {
      this.#flushing = undefined;
    }
  }

  async #commit(entries: AuditEntry[]): Promise<void> {
    this.#batchSize.observe(entries.length);
    const time = new Date().toISOString();
    const params = entries.flatMap((e) => [
      time,
      e.actor,
      e.role,
      e.action,
      e.patientId,
      e.outcome,
      e.requestId,
      e.traceId,
    ]);
    for (let retries = 0; ; retries++) {
      try {
        await this.db.query(insertSql(entries.length), params);
        return;
      } catch (error) {
        if (!isUniqueViolation(error) || retries >= MAX_RETRIES) throw error;
        this.#retries.inc();
      }
    }
  }
}

const insertSqlCache = new Map<number, string>();
function insertSql(rows: number): string {
  let sql = insertSqlCache.get(rows);
  if (!sql) {
    const values = Array.from({ length: rows }, (_, i) => {
      const p = Array.from({ length: COLUMNS }, (_, c) => `$${i * COLUMNS + c + 1}`);
      return `(${p[0]}::timestamptz, ${p.slice(1).join(', ')})`;
    });
    sql = `INSERT INTO audit_log (time, actor, role, action, patient_id, outcome, request_id, trace_id) VALUES ${values.join(', ')}`;
    if (insertSqlCache.size < 1024) insertSqlCache.set(rows, sql);
  }
  return sql;
}
