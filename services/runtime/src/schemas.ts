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

export const newPatientSchema = z
  .strictObject({
    trialId: code('trialId', 'TRIAL-0001'),
    siteId: code('siteId', 'SITE-001'),
    subjectCode: code('subjectCode', 'SUBJ-0042'),
    givenName: z.string().trim().min(1).max(100),
    familyName: z.string().trim().min(1).max(100),
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
    completedAt: z.iso.datetime({ offset: true }).optional(),
  })
  .superRefine((body, ctx) => {
    const problem = validateAnswers(INSTRUMENT_BY_CODE[body.instrument]!, body.answers);
    if (problem) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
  })
  .meta({ id: 'QuestionnaireSubmission' });
export type QuestionnaireSubmissionInput = z.infer<typeof questionnaireSubmissionSchema>;

export const listQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(512).optional(),
});

export const auditQuerySchema = z.strictObject({
  patientId,
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(512).optional(),
});
