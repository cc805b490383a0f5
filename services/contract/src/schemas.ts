import { z } from 'zod';
import { INSTRUMENT_BY_CODE, validateAnswers } from './instruments.js';

/**
 * Request schemas shared by the HTTP edge (validation and /openapi.json) and patient-rpc
 * (which validates again: any gRPC client may call it).
 */
export const patientId = z.uuid().describe('Patient id (UUID)');

const code = (name: string, example: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, `${name} must be 1-64 letters, digits, '.', '_' or '-'`)
    .meta({ example });

const isoDate = z.iso.date().refine((d) => d >= '1900-01-01' && d <= new Date().toISOString().slice(0, 10), {
  message: 'birthDate must be between 1900-01-01 and today',
});

/**
 * A name: 1-100 characters after trimming, none a control character (NUL, escapes, line
 * breaks) and no unpaired surrogate (not representable in UTF-8, so not storable).
 */
const personName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .refine((v) => v.isWellFormed(), { message: 'must be valid Unicode (no unpaired surrogates)', abort: true })
  .regex(/^\P{Cc}*$/u, 'must not contain control characters');

/** Completion times are accepted from this day on; later than now only by the clock skew below. */
export const COMPLETED_AT_EARLIEST = '2000-01-01T00:00:00Z';
export const COMPLETED_AT_SKEW_MS = 5 * 60_000;

/**
 * When a questionnaire was completed: an RFC 3339 time with an offset, not before 2000 and
 * not in the future (beyond a few minutes of clock skew). Shared by patient-api, patient-rpc
 * (which any gRPC client may call) and the import lines.
 */
export const completedAtSchema = z.iso
  .datetime({ offset: true, error: 'must be an RFC 3339 time with an offset, e.g. 2026-01-31T09:30:00Z' })
  .refine(
    (v) => {
      const t = Date.parse(v);
      return t >= Date.parse(COMPLETED_AT_EARLIEST) && t <= Date.now() + COMPLETED_AT_SKEW_MS;
    },
    { message: 'must be between 2000-01-01 and now' },
  )
  .describe('When the patient completed it (RFC 3339); default: when it is stored');

export const newPatientSchema = z
  .strictObject({
    trialId: code('trialId', 'TRIAL-0001'),
    siteId: code('siteId', 'SITE-001'),
    subjectCode: code('subjectCode', 'SUBJ-0042'),
    givenName: personName,
    familyName: personName,
    birthDate: isoDate.meta({ example: '1970-01-31' }),
    sex: z.enum(['female', 'male', 'other', 'unknown']),
  })
  .meta({ id: 'NewPatient' });
export type NewPatientInput = z.infer<typeof newPatientSchema>;

export const questionnaireSubmissionSchema = z
  .strictObject({
    submissionId: z.uuid().describe('Client-chosen id; resubmitting it returns the stored result'),
    instrument: z.enum(['phq9', 'gad7']),
    answers: z.array(z.number().int()).max(64).describe('One answer per item, in item order, each 0..3'),
    completedAt: completedAtSchema.optional(),
  })
  .superRefine((body, ctx) => {
    const problem = validateAnswers(INSTRUMENT_BY_CODE[body.instrument]!, body.answers);
    if (problem) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
  })
  .meta({ id: 'QuestionnaireSubmission' });
export type QuestionnaireSubmissionInput = z.infer<typeof questionnaireSubmissionSchema>;

/**
 * A page size in a query string: decimal digits only (no sign, exponent, hex or blanks,
 * which Number() would accept), then bounded.
 */
const pageLimit = (max: number, fallback: number) =>
  z
    .string()
    .regex(/^[0-9]{1,9}$/, 'must be a decimal integer')
    .transform(Number)
    .pipe(z.int().min(1).max(max))
    .default(fallback)
    .describe(`Page size, 1..${max}`);

const pageCursor = z.string().max(512).optional().describe('nextCursor of the previous page');

export const listQuerySchema = z.strictObject({ limit: pageLimit(100, 20), cursor: pageCursor });

export const auditQuerySchema = z.strictObject({ patientId, limit: pageLimit(500, 100), cursor: pageCursor });
