import type { ImportJob } from '@patient-mesh/contract';
import { copyText, type Db } from '../store/Db.js';
import type { ParsedLine } from '../domain/parseImportLine.js';

/** A job a worker holds the lease on. */
export interface ClaimedJob {
  id: string;
  /** Lines up to this one are applied (the first still staged is after it). */
  appliedThrough: number;
  /** The upload's last line number. */
  lastLine: number;
  startedAt: Date;
}

/** One batch's outcome, committed atomically with the job's counts. */
export interface BatchResult {
  accepted: number;
  rejected: number;
  duplicate: number;
}

export interface ImportStoreOptions {
  leaseSeconds: number;
  /** Line errors kept per job (all are counted). */
  maxFirstErrors: number;
}

const brand = Symbol.for('patient-mesh.LeaseLostError');

/** The worker no longer holds the job's lease (another replica took it over). */
export class LeaseLostError extends Error {
  readonly [brand] = true;
  override readonly name = 'LeaseLostError';
}
export const isLeaseLostError = (e: unknown): e is LeaseLostError => typeof e === 'object' && e !== null && brand in e;

interface JobRow {
  id: string;
  state: string;
  lines_total: string;
  lines_processed: string;
  accepted: string;
  rejected: string;
  duplicate: string;
  first_errors: Array<{ line: number; reason: string }>;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
  seconds: number | null;
}

const JOB_COLUMNS = `id::text, state, lines_total, lines_processed, accepted, rejected, duplicate, first_errors,
  created_at, updated_at, finished_at,
  extract(epoch FROM coalesce(finished_at, now()) - started_at)::float8 AS seconds`;

const STAGED_COLUMNS = [
  'job_id',
  'line',
  'submission_id',
  'patient_id',
  'instrument',
  'answers',
  'total_score',
  'severity',
  'flags',
  'completed_at',
  'error',
];

/**
 * Validated lines of one upload on their way to import_lines, written straight into a
 * buffer in COPY text form: while the batch fills, a line costs bytes outside the V8 heap,
 * not the objects it was parsed into (which die young).
 */
export class StagingBatch {
  lines = 0;
  #buffer = Buffer.allocUnsafe(256 * 1024);
  #bytes = 0;

  constructor(readonly jobId: string) {}

  /** Bytes of COPY text so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The COPY text (a view: valid until the next add). */
  get data(): Buffer {
    return this.#buffer.subarray(0, this.#bytes);
  }

  add(l: ParsedLine): void {
    this.lines += 1;
    if (!l.ok) {
      // A rejected line keeps only its reason; PostgreSQL text cannot hold NUL (a reason
      // may quote an unknown key).
      const reason = copyText(l.reason.replaceAll('\u0000', '\ufffd'));
      this.#write(`${this.jobId}\t${l.line}\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t${reason}\n`);
      return;
    }
    const { row } = l;
    const completed = row.completedAt?.toISOString() ?? '\\N';
    // Every typed value is a UUID, a number, a code or a timestamp: nothing to escape.
    this.#write(
      `${this.jobId}\t${l.line}\t${row.submissionId}\t${row.patientId}\t${row.instrument}\t{${row.answers.join(',')}}\t${row.score.total}\t${row.score.severity}\t{${row.score.flags.join(',')}}\t${completed}\t\\N\n`,
    );
  }

  #write(text: string): void {
    // A UTF-16 code unit is at most 3 bytes of UTF-8.
    const room = this.#bytes + text.length * 3;
    if (room > this.#buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(room, this.#buffer.length * 2));
      this.#buffer.copy(grown, 0, 0, this.#bytes);
      this.#buffer = grown;
    }
    this.#bytes += this.#buffer.write(text, this.#bytes, 'utf8');
  }
}

/** SQL for import jobs and their staged lines; the same on PostgreSQL and PGlite. */
export class ImportStore {
  constructor(
    private readonly db: Db,
    private readonly options: ImportStoreOptions,
  ) {}

  /** Jobs not finished yet (receiving, staged or running): the import queue's depth. */
  async openJobs(): Promise<number> {
    const [row] = await this.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM import_jobs WHERE state IN ('receiving', 'staged', 'running')",
    );
    return row!.n;
  }

  /** A job that is receiving its upload; the receiving replica holds its lease. */
  async create(id: string, actor: string, owner: string): Promise<void> {
    await this.db.query(
      `INSERT INTO import_jobs (id, state, actor, lease_owner, lease_until)
       VALUES ($1, 'receiving', $2, $3, now() + make_interval(secs => $4))`,
      [id, actor, owner, this.options.leaseSeconds],
    );
  }

  /** Stages a batch of validated lines (COPY) and renews the receiving lease. */
  async stage(batch: StagingBatch): Promise<void> {
    await this.db.copyFrom('import_lines', STAGED_COLUMNS, batch.data);
    await this.db.query(
      'UPDATE import_jobs SET lease_until = now() + make_interval(secs => $2), updated_at = now() WHERE id = $1',
      [batch.jobId, this.options.leaseSeconds],
    );
  }

  /** The upload is complete and durable: any replica may now process it. */
  async markStaged(jobId: string, linesTotal: number, lastLine: number): Promise<ImportJob> {
    const [row] = await this.db.query<JobRow>(
      `UPDATE import_jobs SET state = 'staged', lines_total = $2, last_line = $3, lease_owner = NULL,
         lease_until = NULL, updated_at = now() WHERE id = $1 AND state = 'receiving' RETURNING ${JOB_COLUMNS}`,
      [jobId, linesTotal, lastLine],
    );
    if (!row) throw new Error('import job vanished while receiving');
    return toJob(row);
  }

  /** The upload did not complete: nothing is applied, staged lines are deleted. */
  async abort(jobId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query('DELETE FROM import_lines WHERE job_id = $1', [jobId]);
      await tx.query(
        `UPDATE import_jobs SET state = 'aborted', lease_owner = NULL, lease_until = NULL, updated_at = now(),
           finished_at = now() WHERE id = $1 AND state = 'receiving'`,
        [jobId],
      );
    });
  }

  /** Aborts uploads whose receiving replica died (lease expired). Returns how many. */
  async reapReceiving(): Promise<number> {
    const ids = await this.db.query<{ id: string }>(
      "SELECT id::text FROM import_jobs WHERE state = 'receiving' AND lease_until < now() LIMIT 100",
    );
    for (const { id } of ids) await this.abort(id);
    return ids.length;
  }

  async get(id: string): Promise<ImportJob | undefined> {
    const [row] = await this.db.query<JobRow>(`SELECT ${JOB_COLUMNS} FROM import_jobs WHERE id = $1`, [id]);
    return row && toJob(row);
  }

  /**
   * Takes the lease on up to `limit` jobs that are staged, or running under an expired lease
   * (their replica died or released them), skipping rows another replica is claiming.
   */
  async claim(owner: string, limit: number): Promise<ClaimedJob[]> {
    if (limit <= 0) return [];
    const rows = await this.db.query<{ id: string; applied_through: string; last_line: string; started_at: Date }>(
      `UPDATE import_jobs j SET state = 'running', lease_owner = $1,
         lease_until = now() + make_interval(secs => $2), attempts = j.attempts + 1,
         started_at = coalesce(j.started_at, now()), updated_at = now()
       WHERE j.id IN (
         SELECT id FROM import_jobs
         WHERE state = 'staged' OR (state = 'running' AND lease_until <= now())
         ORDER BY created_at LIMIT $3 FOR UPDATE SKIP LOCKED)
       RETURNING j.id::text, j.last_line, j.started_at,
         (SELECT coalesce(min(l.line) - 1, j.last_line) FROM import_lines l WHERE l.job_id = j.id) AS applied_through`,
      [owner, this.options.leaseSeconds, limit],
    );
    return rows.map((r) => ({
      id: r.id,
      appliedThrough: Number(r.applied_through),
      lastLine: Number(r.last_line),
      startedAt: r.started_at,
    }));
  }

  /**
   * Applies the staged lines in (`after`, `through`] in one transaction: one statement
   * consumes them (DELETE … RETURNING, so a batch applies once however often it is run),
   * rejects those of unknown patients and inserts the rest in submission-id order (ON
   * CONFLICT DO NOTHING: existing ids are duplicates; one lock order, so concurrent batches
   * cannot deadlock). The job's counts and lowest-numbered errors advance with it and the
   * lease is renewed; if this replica no longer holds the lease, nothing is applied.
   */
  async commitBatch(jobId: string, owner: string, after: number, through: number): Promise<BatchResult> {
    return this.db.transaction(async (tx) => {
      const max = this.options.maxFirstErrors;
      const [applied] = await tx.query<{ valid: number; accepted: number; rejected: number; errors: unknown[] }>(
        `WITH batch AS (
           DELETE FROM import_lines WHERE job_id = $1 AND line > $2 AND line <= $3
           RETURNING line, submission_id, patient_id, instrument, answers, total_score, severity, flags,
                     completed_at, error),
         checked AS (
           SELECT b.*, coalesce(b.error, CASE WHEN p.id IS NULL THEN 'patientId: unknown patient' END) AS reason
           FROM batch b LEFT JOIN patients p ON p.id = b.patient_id),
         inserted AS (
           INSERT INTO questionnaire_responses
             (submission_id, patient_id, instrument, answers, total_score, severity, flags, completed_at, import_id)
           SELECT submission_id, patient_id, instrument, answers, total_score, severity, flags,
                  coalesce(completed_at, now()), $1
           FROM checked WHERE reason IS NULL ORDER BY submission_id
           ON CONFLICT (submission_id) DO NOTHING
           RETURNING 1)
         SELECT (SELECT count(*) FROM checked WHERE reason IS NULL)::int AS valid,
                (SELECT count(*) FROM inserted)::int AS accepted,
                (SELECT count(*) FROM checked WHERE reason IS NOT NULL)::int AS rejected,
                (SELECT coalesce(jsonb_agg(jsonb_build_object('line', line, 'reason', reason) ORDER BY line), '[]')
                 FROM (SELECT line, reason FROM checked WHERE reason IS NOT NULL ORDER BY line LIMIT $4) kept)
                  AS errors`,
        [jobId, after, through, max],
      );
      const result: BatchResult = {
        accepted: applied!.accepted,
        rejected: applied!.rejected,
        duplicate: applied!.valid - applied!.accepted,
      };
      const updated = await tx.query(
        `UPDATE import_jobs SET
           lines_processed = lines_processed + $3 + $4 + $5,
           accepted = accepted + $3, rejected = rejected + $4, duplicate = duplicate + $5,
           first_errors = (
             SELECT coalesce(jsonb_agg(e ORDER BY (e ->> 'line')::bigint), '[]')
             FROM (SELECT e FROM jsonb_array_elements(first_errors || $6::jsonb) e
                   ORDER BY (e ->> 'line')::bigint LIMIT $8) lowest),
           lease_until = now() + make_interval(secs => $7), updated_at = now()
         WHERE id = $1 AND lease_owner = $2 AND state = 'running'
         RETURNING 1`,
        [
          jobId,
          owner,
          result.accepted,
          result.rejected,
          result.duplicate,
          JSON.stringify(applied!.errors),
          this.options.leaseSeconds,
          max,
        ],
      );
      if (updated.length === 0) throw new LeaseLostError('import job lease lost');
      return result;
    });
  }

  /** Marks a job done once every staged line has been applied. */
  async finish(jobId: string, owner: string): Promise<void> {
    const [row] = await this.db.query<{ done: boolean; held: boolean }>(
      `WITH done AS (
         UPDATE import_jobs SET state = 'done', lease_owner = NULL, lease_until = NULL, updated_at = now(),
           finished_at = now()
         WHERE id = $1 AND lease_owner = $2 AND state = 'running'
           AND NOT EXISTS (SELECT 1 FROM import_lines WHERE job_id = $1)
         RETURNING 1)
       SELECT EXISTS (SELECT 1 FROM done) AS done,
              EXISTS (SELECT 1 FROM import_jobs WHERE id = $1 AND lease_owner = $2 AND state = 'running') AS held`,
      [jobId, owner],
    );
    if (row!.done) return;
    if (!row!.held) throw new LeaseLostError('import job lease lost');
    throw new Error('import job has staged lines left after its last batch');
  }

  /**
   * Gives the lease back after a failed attempt: retried after `retryAfterSeconds`; after
   * `maxAttempts` claims the job is `failed`.
   */
  async giveUp(jobId: string, owner: string, retryAfterSeconds: number, maxAttempts: number): Promise<void> {
    await this.db.query(
      `UPDATE import_jobs SET lease_owner = NULL, lease_until = now() + make_interval(secs => $3), updated_at = now(),
         state = CASE WHEN attempts >= $4 THEN 'failed' ELSE state END,
         finished_at = CASE WHEN attempts >= $4 THEN now() ELSE finished_at END
       WHERE id = $1 AND lease_owner = $2 AND state = 'running'`,
      [jobId, owner, retryAfterSeconds, maxAttempts],
    );
  }

  /** Releases every lease `owner` holds so another replica takes the jobs over at once. */
  async releaseAll(owner: string): Promise<number> {
    const rows = await this.db.query(
      `UPDATE import_jobs SET lease_until = now(), updated_at = now()
       WHERE lease_owner = $1 AND state = 'running' RETURNING 1`,
      [owner],
    );
    return rows.length;
  }
}

function toJob(r: JobRow): ImportJob {
  const processed = Number(r.lines_processed);
  return {
    id: r.id,
    state: r.state,
    linesTotal: Number(r.lines_total),
    linesProcessed: processed,
    accepted: Number(r.accepted),
    rejected: Number(r.rejected),
    duplicate: Number(r.duplicate),
    linesPerSecond: r.seconds && r.seconds > 0 ? Math.round((processed / r.seconds) * 10) / 10 : 0,
    firstErrors: r.first_errors.map((e) => ({ line: e.line, reason: e.reason })),
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
    finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : '',
  };
}
