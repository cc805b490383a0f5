import { INSTRUMENTS } from '@patient-mesh/contract';
import { Counter, type Registry } from 'prom-client';

/** What became of a submission: the `outcome` label of epro_submissions_total. */
export const SUBMISSION_OUTCOMES = ['accepted', 'replayed', 'rejected', 'failed'] as const;
export type SubmissionOutcome = (typeof SUBMISSION_OUTCOMES)[number];

/**
 * The business metric: ePRO submissions by instrument and outcome. Every instrument and
 * outcome starts at 0, so the success-rate panels read 0 of 0 before the first submission
 * rather than nothing. A submission naming no known instrument counts as `unknown`.
 */
export function createSubmissionCounter(registry: Registry): Counter<'instrument' | 'outcome'> {
  const submissions = new Counter({
    name: 'epro_submissions_total',
    help: 'ePRO questionnaire submissions, by instrument and outcome (accepted, replayed, rejected, failed).',
    labelNames: ['instrument', 'outcome'] as const,
    registers: [registry],
  });
  for (const { code } of Object.values(INSTRUMENTS))
    for (const outcome of SUBMISSION_OUTCOMES) submissions.inc({ instrument: code, outcome }, 0);
  return submissions;
}
