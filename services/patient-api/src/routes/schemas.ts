import { z } from 'zod';
import {
  auditQuerySchema,
  listQuerySchema,
  newPatientSchema,
  patientId,
  questionnaireSubmissionSchema,
} from '@patient-mesh/runtime';

/** Request schemas (validation + OpenAPI) and response schemas (OpenAPI only). */
export { auditQuerySchema, listQuerySchema, newPatientSchema, questionnaireSubmissionSchema };

export const idParamsSchema = z.strictObject({ id: patientId });

export const patientSchema = newPatientSchema
  .extend({ id: z.uuid(), createdAt: z.iso.datetime() })
  .meta({ id: 'Patient' });

export const patientPageSchema = z
  .object({ items: z.array(patientSchema), nextCursor: z.string().optional() })
  .meta({ id: 'PatientPage' });

export const questionnaireResultSchema = z
  .object({
    submissionId: z.uuid(),
    patientId: z.uuid(),
    instrument: z.enum(['phq9', 'gad7']),
    totalScore: z.int(),
    severity: z.enum(['minimal', 'mild', 'moderate', 'moderately_severe', 'severe']),
    flags: z.array(z.string()).describe('phq9_item9_positive: PHQ-9 item 9 (self-harm) answered above 0'),
    completedAt: z.iso.datetime(),
    recordedAt: z.iso.datetime(),
  })
  .meta({ id: 'QuestionnaireResult' });

export const auditRecordSchema = z
  .object({
    seq: z.string(),
    time: z.iso.datetime(),
    actor: z.string(),
    role: z.string(),
    action: z.string(),
    patientId: z.string(),
    outcome: z.enum(['ok', 'not_found', 'denied', 'invalid', 'conflict', 'error']),
    requestId: z.string(),
    traceId: z.string(),
    prevHash: z.string(),
    hash: z.string(),
  })
  .meta({ id: 'AuditRecord' });

export const auditPageSchema = z
  .object({ items: z.array(auditRecordSchema), nextCursor: z.string().optional() })
  .meta({ id: 'AuditPage' });

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    detail: z.string().optional(),
    reason: z.string().optional().describe('Machine-readable cause, e.g. validation, rpc_unavailable, timeout'),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    instance: z.string(),
    requestId: z.string(),
  })
  .meta({ id: 'Problem' });
