import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createImportMetrics } from './importMetrics.js';

describe('createImportMetrics', () => {
  it('a fresh registry renders the row outcomes at 0 and the duration histograms empty', async () => {
    const registry = new Registry();
    createImportMetrics(registry);
    const lines = (await registry.metrics()).split('\n');
    expect(lines.filter((l) => l.startsWith('epro_import_rows_total{'))).toEqual([
      'epro_import_rows_total{outcome="accepted"} 0',
      'epro_import_rows_total{outcome="rejected"} 0',
      'epro_import_rows_total{outcome="duplicate"} 0',
    ]);
    expect(lines).toContain('epro_import_batch_duration_seconds_count 0');
    expect(lines).toContain('epro_import_job_duration_seconds_count 0');
  });
});
