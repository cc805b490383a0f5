import type { Logger } from '@patient-mesh/runtime';
import { trace, SpanStatusCode } from '@opentelemetry/api';
import type { ImportMetrics } from './importMetrics.js';
import { isLeaseLostError, type ClaimedJob, type ImportStore, type StagedLine } from './ImportStore.js';
import { parseImportLine, type ImportRow } from './parseImportLine.js';

export interface ImportWorkersOptions {
  /** Jobs this replica processes at once (each applies its batches in order). */
  workers: number;
  /** Lines per transaction. */
  batchSize: number;
  pollIntervalMs: number;
  /** Claims of one job before it is marked failed. */
  maxAttempts?: number;
}

export interface ImportWorkersDeps {
  store: ImportStore;
  metrics: ImportMetrics;
  logger: Logger;
  /** This replica's lease owner id. */
  owner: string;
}

const tracer = () => trace.getTracer('patient-rpc');

/**
 * Polls for claimable jobs and runs each under a lease, one batch per transaction. `stop()`
 * (the drain step) takes no new batch, lets the current ones commit and releases the leases
 * so another replica continues at once; a crashed replica's leases simply expire.
 */
export class ImportWorkers {
  readonly #active = new Map<string, Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;
  #stopping = false;

  constructor(
    private readonly options: ImportWorkersOptions,
    private readonly deps: ImportWorkersDeps,
  ) {}

  start(): void {
    this.#schedule(0);
  }

  /** Polls now (e.g. a job was just staged here). */
  poke(): void {
    if (this.#stopping || this.#polling) return;
    clearTimeout(this.#timer);
    this.#schedule(0);
  }

  /** Stops taking batches, waits for the current ones to commit, releases every lease. */
  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#timer);
    await this.#polling;
    await Promise.all(this.#active.values());
    const released = await this.deps.store.releaseAll(this.deps.owner);
    if (released > 0) this.deps.logger.info({ released }, 'import leases released');
  }

  #schedule(delayMs: number): void {
    if (this.#stopping) return;
    this.#timer = setTimeout(() => {
      this.#polling = this.#poll().finally(() => {
        this.#polling = undefined;
        this.#schedule(this.options.pollIntervalMs);
      });
    }, delayMs);
  }

  async #poll(): Promise<void> {
    const { store, logger, metrics, owner } = this.deps;
    try {
      await store.reapReceiving();
      const jobs = await store.claim(owner, this.options.workers - this.#active.size);
      for (const job of jobs) {
        if (this.#stopping) break;
        logger.info({ jobId: job.id, cursor: job.cursor }, 'import job claimed');
        const run = this.#run(job).finally(() => this.#active.delete(job.id));
        this.#active.set(job.id, run);
      }
      metrics.queueDepth.set(await store.openJobs());
    } catch (error) {
      logger.error({ err: error }, 'import poll failed');
    }
  }

  async #run(job: ClaimedJob): Promise<void> {
    const { store, logger, owner } = this.deps;
    const size = this.options.batchSize;
    let cursor = job.cursor;
    try {
      let lines = await store.readLines(job.id, cursor, size);
      let parsed = parseBatch(lines);
      while (!this.#stopping) {
        if (lines.length === 0) {
          await store.finish(job.id, owner);
          const seconds = (Date.now() - job.startedAt.getTime()) / 1000;
          this.deps.metrics.jobDuration.observe(seconds);
          logger.info({ jobId: job.id }, 'import job done');
          return;
        }
        const last = lines.at(-1)!.line;
        // While this batch commits, read and validate the next one (staged lines never change).
        const commit = this.#commit(job.id, cursor, last, parsed);
        commit.catch(() => {});
        let nextLines: StagedLine[];
        try {
          nextLines = await store.readLines(job.id, last, size);
        } catch (error) {
          await commit.catch(() => {});
          throw error;
        }
        const nextParsed = parseBatch(nextLines);
        await commit;
        cursor = last;
        lines = nextLines;
        parsed = nextParsed;
      }
    } catch (error) {
      if (isLeaseLostError(error)) {
        logger.warn({ jobId: job.id }, 'import job lease lost; another replica continues');
        return;
      }
      logger.error({ err: error, jobId: job.id }, 'import job attempt failed');
      await store.giveUp(job.id, owner, 5, this.options.maxAttempts ?? 5).catch(() => {});
    }
  }

  #commit(jobId: string, cursor: number, last: number, batch: ParsedBatch): Promise<void> {
    return tracer().startActiveSpan('import.batch', async (span) => {
      const end = this.deps.metrics.batchDuration.startTimer();
      span.setAttribute('import.batch.lines', batch.rows.length + batch.errors.length);
      try {
        const result = await this.deps.store.commitBatch(
          jobId,
          this.deps.owner,
          cursor,
          last,
          batch.rows,
          batch.errors,
        );
        const { rows: counter } = this.deps.metrics;
        counter.inc({ outcome: 'accepted' }, result.accepted);
        counter.inc({ outcome: 'rejected' }, result.rejected);
        counter.inc({ outcome: 'duplicate' }, result.duplicate);
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw error;
      } finally {
        end();
        span.end();
      }
    });
  }
}

interface ParsedBatch {
  rows: ImportRow[];
  errors: Array<{ line: number; reason: string }>;
}

function parseBatch(lines: readonly StagedLine[]): ParsedBatch {
  const batch: ParsedBatch = { rows: [], errors: [] };
  for (const staged of lines) {
    if (staged.body === null) {
      batch.errors.push({ line: staged.line, reason: staged.error ?? 'line could not be staged' });
      continue;
    }
    const parsed = parseImportLine(staged.line, staged.body);
    if (parsed.ok) batch.rows.push(parsed.row);
    else batch.errors.push({ line: parsed.line, reason: parsed.reason });
  }
  return batch;
}
