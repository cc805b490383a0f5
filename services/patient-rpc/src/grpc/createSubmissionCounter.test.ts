import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createSubmissionCounter } from './createSubmissionCounter.js';

describe('createSubmissionCounter', () => {
  it('a fresh registry renders every instrument and outcome at 0', async () => {
    const registry = new Registry();
    createSubmissionCounter(registry);
    const lines = (await registry.metrics()).split('\n').filter((l) => l.startsWith('epro_submissions_total{'));
    expect(lines).toEqual(
      ['phq9', 'gad7'].flatMap((instrument) =>
        ['accepted', 'replayed', 'rejected', 'failed'].map(
          (outcome) => `epro_submissions_total{instrument="${instrument}",outcome="${outcome}"} 0`,
        ),
      ),
    );
  });
});
