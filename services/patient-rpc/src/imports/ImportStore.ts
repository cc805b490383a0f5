import type { ImportJob } from '@patient-mesh/runtime';
import type { Db, Queryable } from '../store/Db.js';
import type { ImportRow } from './parseImportLine.js';

/** A line as staged: its text, or why it could not be staged. */
export interface StagedLine {
  line: number;
  body: string | null;
  error: string | null;
}

/** A job a worker holds the lease on. */
export interface ClaimedJob {
  id: string;
  cursor: number;
  startedAt: Date;
}

/** One batch's outcome, committed atomically with the job's cursor and counts. */
export interface BatchResult {
  cursor: number;
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

  /** Stages lines (one multi-row INSERT) and renews the receiving lease. */
  async stage(jobId: string, lines: readonly StagedLine[]): Promise<void> {
    await this.db.query(
      `WITH staged AS (
         INSERT INTO import_lines (job_id, line, body, error)
         SELECT $1, l, b, e FROM unnest($2::bigint[], $3::text[], $4::text[]) AS u(l, b, e)
       )
       UPDATE import_jobs SET lease_until = now() + make_interval(secs => $5), updated_at = now() WHERE id = $1`,
      [jobId, lines.map((l) => l.line), lines.map((l) => l.body), lines.map((l) => l.error), this.options.leaseSeconds],
    );
  }

  /** The upload is complete and durable: any replica may now process it. */
  async markStaged(jobId: string, linesTotal: number): Promise<ImportJob> {
    const [row] = await this.db.query<JobRow>(
      `UPDATE import_jobs SET state = 'staged', lines_total = $2, lease_owner = NULL, lease_until = NULL,
         updated_at = now() WHERE id = $1 AND state = 'receiving' RETURNING ${JOB_COLUMNS}`,
      [jobId, linesTotal],
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
    const rows = await this.db.query<{ id: string; cursor: string; started_at: Date }>(
      `UPDATE import_jobs j SET state = 'running', lease_owner = $1,
         lease_until = now() + make_interval(secs => $2), attempts = j.attempts + 1,
         started_at = coalesce(j.started_at, now()), updated_at = now()
       WHERE j.id IN (
         SELECT id FROM import_jobs
         WHERE state = 'staged' OR (state = 'running' AND lease_until <= now())
         ORDER BY created_at LIMIT $3 FOR UPDATE SKIP LOCKED)
       RETURNING j.id::text, j.cursor, j.started_at`,
      [owner, this.options.leaseSeconds, limit],
    );
    return rows.map((r) => ({ id: r.id, cursor: Number(r.cursor), startedAt: r.started_at }));
  }

  /** Up to `limit` staged lines after line number `after`, in order. */
  readLines(jobId: string, after: number, limit: number): Promise<StagedLine[]> {
    return this.db
      .query<{ line: string; body: string | null; error: string | null }>(
        'SELECT line, body, error FROM import_lines WHERE job_id = $1 AND line > $2 ORDER BY line LIMIT $3',
        [jobId, after, limit],
      )
      .then((rows) => rows.map((r) => ({ line: Number(r.line), body: r.body, error: r.error })));
  }

  /**
   * Applies one batch in one transaction: checks the lease and the cursor, rejects rows of
   * unknown patients, inserts the rest (ON CONFLICT DO NOTHING: existing submission ids are
   * duplicates), then advances the cursor, counts and kept errors and renews the lease.
   */
  async commitBatch(
    jobId: string,
    owner: string,
    expectedCursor: number,
    cursor: number,
    rows: readonly ImportRow[],
    errors: ReadonlyArray<{ line: number; reason: string }>,
  ): Promise<BatchResult> {
    return this.db.transaction(async (tx) => {
      const [job] = await tx.query<{ cursor: string; kept: number }>(
        `SELECT cursor, jsonb_array_length(first_errors) AS kept FROM import_jobs
         WHERE id = $1 AND lease_owner = $2 AND state = 'running' FOR UPDATE`,
        [jobId, owner],
      );
      if (!job || Number(job.cursor) !== expectedCursor) throw new LeaseLostError('import job lease lost');

      const lineErrors = [...errors];
      const known = await knownPatients(tx, rows);
      const valid = rows.filter((r) => {
        if (known.has(r.patientId)) return true;
        lineErrors.push({ line: r.line, reason: 'patientId: unknown patient' });
        return false;
      });
      const accepted = valid.length > 0 ? await insertResponses(tx, jobId, valid) : 0;
      lineErrors.sort((a, b) => a.line - b.line);
      const room = Math.max(0, this.options.maxFirstErrors - job.kept);
      const result: BatchResult = {
        cursor,
        accepted,
        rejected: lineErrors.length,
        duplicate: valid.length - accepted,
      };
      await tx.query(
        `UPDATE import_jobs SET cursor = $3,
           lines_processed = lines_processed + $4 + $5 + $6,
           accepted = accepted + $4, rejected = rejected + $5, duplicate = duplicate + $6,
           first_errors = first_errors || $7::jsonb,
           lease_until = now() + make_interval(secs => $8), updated_at = now()
         WHERE id = $1 AND lease_owner = $2`,
        [
          jobId,
          owner,
          cursor,
          result.accepted,
          result.rejected,
          result.duplicate,
          JSON.stringify(lineErrors.slice(0, room)),
          this.options.leaseSeconds,
        ],
      );
      return result;
    });
  }

  /** Marks a fully processed job done and drops its staged lines. */
  async finish(jobId: string, owner: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const done = await tx.query(
        `UPDATE import_jobs SET state = 'done', lease_owner = NULL, lease_until = NULL, updated_at = now(),
           finished_at = now() WHERE id = $1 AND lease_owner = $2 AND state = 'running' RETURNING 1`,
        [jobId, owner],
      );
      if (done.length === 0) throw new LeaseLostError('import job lease lost');
      await tx.query('DELETE FROM import_lines WHERE job_id = $1', [jobId]);
    });
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

async function knownPatients(tx: Queryable, rows: readonly ImportRow[]): Promise<Set<string>> {
  const ids = [...new Set(rows.map((r) => r.patientId))];
  if (ids.length === 0) return new Set();
  const found = await tx.query<{ id: string }>('SELECT id::text FROM patients WHERE id = ANY($1::uuid[])', [ids]);
  return new Set(found.map((r) => r.id));
}

async function insertResponses(tx: Queryable, jobId: string, rows: readonly ImportRow[]): Promise<number> {
  const [result] = await tx.query<{ n: number }>(
    `WITH ins AS (
       INSERT INTO questionnaire_responses
         (submission_id, patient_id, instrument, answers, total_score, severity, flags, completed_at, import_id)
       SELECT s, p, i, a::smallint[], t, sv, f::text[], coalesce(c, now()), $9
       FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[],
                   $8::timestamptz[]) AS u(s, p, i, a, t, sv, f, c)
       ON CONFLICT (submission_id) DO NOTHING
       RETURNING 1)
     SELECT count(*)::int AS n FROM ins`,
    [
      rows.map((r) => r.submissionId),
      rows.map((r) => r.patientId),
      rows.map((r) => r.instrument),
      rows.map((r) => `{${r.answers.join(',')}}`),
      rows.map((r) => r.score.total),
      rows.map((r) => r.score.severity),
      rows.map((r) => `{${r.score.flags.join(',')}}`),
      rows.map((r) => r.completedAt ?? null),
      jobId,
    ],
  );
  return result!.n;
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
