// The pre-ledger baseline: patient-rpc's audit writer as of 840055a, when every batch was
// hash-chained to the trail's tail (services/patient-rpc/src/audit/AuditWriter.ts then),
// kept here so that `npm run bench` measures it against today's writer in the same run.
// A faithful copy, with these changes and nothing else:
// - its name (ChainedAuditWriter, ChainedAuditWriterOptions), beside today's AuditWriter;
// - relinks are counted (`audit_append_relinks_total`), which the original did not;
// - the constructor's parameter properties are spelled out as fields, since Node runs
//   bench files by stripping types only, which refuses parameter properties;
// - the imports point at patient-rpc's build (the same modules the replicas run).
// It writes explicit seq, prev_hash and hash, which today's schema still accepts; its seq
// values do not advance audit_log_seq, so give it a database of its own.
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { Db } from '../../services/patient-rpc/dist/store/Db.js';
import { pgErrorCode, PG_UNIQUE_VIOLATION } from '../../services/patient-rpc/dist/store/sqlState.js';
import {
  chain,
  GENESIS_HASH,
  type AuditEntry,
  type ChainedRecord,
} from '../../services/patient-rpc/dist/domain/auditChain.js';

const COLUMNS = 11;
/** Appends lost to other replicas in a row before a batch fails (each re-reads the tail). */
const MAX_RELINKS = 50;
const tracer = trace.getTracer('patient-rpc.audit');

export interface ChainedAuditWriterOptions {
  /** Most records written in one transaction. */
  maxBatch: number;
}

/**
 * Appends audit records with group commit: callers wait until their record is committed,
 * and records arriving while a commit is in flight go together in the next one.
 *
 * A batch is one INSERT (one round trip, atomic on its own), linked to the tail this writer
 * last wrote or read. `seq` is the primary key and committed records never change, so a
 * batch either extends the real tail or collides with a record another replica appended
 * first; then the writer reads the new tail, relinks the batch and tries again. The chain
 * stays linear however many replicas write, with no lock held across round trips.
 */
export class ChainedAuditWriter {
  #queue: Array<{ entry: AuditEntry; done: (error?: unknown) => void }> = [];
  /** The chain's tail as this writer last saw it; undefined = read it first. */
  #tail: { seq: bigint; hash: string } | undefined;
  #flushing: Promise<void> | undefined;
  readonly #latency: Histogram;
  readonly #batchSize: Histogram;
  readonly #relinks: Counter;
  private readonly db: Db;
  private readonly options: ChainedAuditWriterOptions;

  constructor(db: Db, options: ChainedAuditWriterOptions, registry: Registry) {
    this.db = db;
    this.options = options;
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
    this.#relinks = new Counter({
      name: 'audit_append_relinks_total',
      help: 'Audit batches relinked to a new tail because another writer appended first.',
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
    for (let relinks = 0; ; relinks++) {
      const last = (this.#tail ??= await this.#readTail());
      const records = chain(entries, last, new Date());
      try {
        await this.db.query(insertSql(records.length), records.flatMap(recordParams));
      } catch (error) {
        this.#tail = undefined;
        if (pgErrorCode(error) === PG_UNIQUE_VIOLATION && relinks < MAX_RELINKS) {
          this.#relinks.inc();
          continue;
        }
        throw error;
      }
      const end = records.at(-1)!;
      this.#tail = { seq: end.seq, hash: end.hash };
      return;
    }
  }

  async #readTail(): Promise<{ seq: bigint; hash: string }> {
    const [tail] = await this.db.query<{ seq: string; hash: string }>(
      'SELECT seq::text AS seq, hash FROM audit_log ORDER BY audit_log.seq DESC LIMIT 1',
    );
    return tail ? { seq: BigInt(tail.seq), hash: tail.hash } : { seq: 0n, hash: GENESIS_HASH };
  }
}

function recordParams(r: ChainedRecord): unknown[] {
  return [
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
    r.hash,
  ];
}

const insertSqlCache = new Map<number, string>();
function insertSql(rows: number): string {
  let sql = insertSqlCache.get(rows);
  if (!sql) {
    const values = Array.from({ length: rows }, (_, i) => {
      const p = Array.from({ length: COLUMNS }, (_, c) => `$${i * COLUMNS + c + 1}`);
      return `(${p[0]}::bigint, ${p[1]}::timestamptz, ${p.slice(2).join(', ')})`;
    });
    sql = `INSERT INTO audit_log (seq, time, actor, role, action, patient_id, outcome, request_id, trace_id, prev_hash, hash) VALUES ${values.join(', ')}`;
    if (insertSqlCache.size < 1024) insertSqlCache.set(rows, sql);
  }
  return sql;
}
