import type { Logger } from '@patient-mesh/runtime';
import { trace, SpanStatusCode } from '@opentelemetry/api';
import { IMPORT_ROW_OUTCOMES, type ImportMetrics } from './importMetrics.js';
import { isLeaseLostError, type ClaimedJob, type ImportStore } from './ImportStore.js';

export interface ImportWorkersOptions {
  /** Jobs this replica processes at once. */
  workers: number;
  /** Lines per transaction. */
  batchSize: number;
  /** Batches of one job applied at once, each in its own transaction. */
  batchConcurrency: number;
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
        logger.info({ jobId: job.id, appliedThrough: job.appliedThrough }, 'import job claimed');
        const run = this.#run(job).finally(() => this.#active.delete(job.id));
        this.#active.set(job.id, run);
      }
      metrics.queueDepth.set(await store.openJobs());
    } catch (error) {
      logger.error({ err: error }, 'import poll failed');
    }
  }

  /**
   * Applies the job's remaining lines in consecutive ranges, `batchConcurrency` transactions
   * at a time. Each range applies once whatever happens (its lines are consumed with it), so
   * a range cut off by a crash is simply run again by the next lease holder.
   */
  async #run(job: ClaimedJob): Promise<void> {
    const { store, logger, owner } = this.deps;
    let next = job.appliedThrough;
    let failure: { error: unknown } | undefined;
    const take = (): [number, number] | undefined => {
      if (this.#stopping || failure || next >= job.lastLine) return undefined;
      const after = next;
      next = Math.min(after + this.options.batchSize, job.lastLine);
      return [after, next];
    };
    const lane = async () => {
      for (let range = take(); range; range = take()) {
        try {
          await this.#commit(job.id, range[0], range[1]);
        } catch (error) {
          failure ??= { error };
        }
      }
    };
    await Promise.all(Array.from({ length: this.options.batchConcurrency }, lane));
    try {
      if (failure) throw failure.error;
      if (this.#stopping) return;
      await store.finish(job.id, owner);
      const seconds = (Date.now() - job.startedAt.getTime()) / 1000;
      this.deps.metrics.jobDuration.observe(seconds);
      logger.info({ jobId: job.id }, 'import job done');
    } catch (error) {
      if (isLeaseLostError(error)) {
        logger.warn({ jobId: job.id }, 'import job lease lost; another replica continues');
        return;
      }
      logger.error({ err: error, jobId: job.id }, 'import job attempt failed');
      await store.giveUp(job.id, owner, 5, this.options.maxAttempts ?? 5).catch(() => {});
    }
  }

  #commit(jobId: string, after: number, through: number): Promise<void> {
    return tracer().startActiveSpan('import.batch', async (span) => {
      const end = this.deps.metrics.batchDuration.startTimer();
      span.setAttribute('import.batch.lines', through - after);
      try {
        const result = await this.deps.store.commitBatch(jobId, this.deps.owner, after, through);
        for (const outcome of IMPORT_ROW_OUTCOMES) this.deps.metrics.rows.inc({ outcome }, result[outcome]);
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
