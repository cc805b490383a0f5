import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { BatchResult } from './ImportStore.js';

/** What became of an imported line: the `outcome` label of epro_import_rows_total, one per count of a batch. */
export const IMPORT_ROW_OUTCOMES = ['accepted', 'rejected', 'duplicate'] as const satisfies ReadonlyArray<
  keyof BatchResult
>;

export interface ImportMetrics {
  rows: Counter<'outcome'>;
  batchDuration: Histogram;
  jobDuration: Histogram;
  queueDepth: Gauge;
}

/**
 * The bulk-import metrics, registered on `registry`. Labels never carry ids. Every series
 * exists from the start (rows at 0 per outcome; the unlabelled histograms empty), so the
 * import panels read 0 before the first import rather than nothing.
 */
export function createImportMetrics(registry: Registry): ImportMetrics {
  const metrics = {
    rows: new Counter({
      name: 'epro_import_rows_total',
      help: 'Imported ePRO lines processed, by outcome (accepted, rejected, duplicate).',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    batchDuration: new Histogram({
      name: 'epro_import_batch_duration_seconds',
      help: 'Time to validate and commit one import batch.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    jobDuration: new Histogram({
      name: 'epro_import_job_duration_seconds',
      help: 'Time from the first claim of an import job to its completion.',
      buckets: [0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'epro_import_queue_depth',
      help: 'Import jobs not finished yet (receiving, staged or running), as last seen by this replica.',
      registers: [registry],
    }),
  };
  for (const outcome of IMPORT_ROW_OUTCOMES) metrics.rows.inc({ outcome }, 0);
  return metrics;
}
