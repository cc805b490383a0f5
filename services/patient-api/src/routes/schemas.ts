import { z } from 'zod';
import {
  AUDIT_OUTCOMES,
  auditQuerySchema,
  listQuerySchema,
  newPatientSchema,
  patientId,
  questionnaireSubmissionSchema,
  type AuditRecord,
} from '@patient-mesh/contract';
import { pageSchema } from './page.js';

/** Request schemas (validation + OpenAPI) and response schemas (OpenAPI only). */
export { auditQuerySchema, listQuerySchema, newPatientSchema, questionnaireSubmissionSchema };

export const idParamsSchema = z.strictObject({ id: patientId });

export const patientSchema = newPatientSchema
  .extend({ id: z.uuid(), createdAt: z.iso.datetime() })
  .meta({ id: 'Patient' });

export const patientPageSchema = pageSchema(patientSchema, 'PatientPage');

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

const chainHash = z.string().describe('Hash chain of records written before the ledger; empty after');

/**
 * An audit record as patient-rpc sends it: every field of the proto's AuditRecord, no
 * other (the compiler holds this shape to the generated type, both ways).
 */
const auditRecordShape = {
  seq: z.string(),
  time: z.iso.datetime(),
  actor: z.string(),
  role: z.string(),
  action: z.string(),
  patientId: z.string(),
  outcome: z.enum(AUDIT_OUTCOMES),
  requestId: z.string(),
  traceId: z.string(),
  prevHash: chainHash,
  hash: chainHash,
} satisfies { [K in keyof AuditRecord]-?: z.ZodType<AuditRecord[K]> };

export const auditRecordSchema = z.object(auditRecordShape).meta({ id: 'AuditRecord' });

/** A position in the audit log (seq, or a tree size): a positive decimal integer. */
const logPosition = z
  .string()
  .regex(/^[1-9][0-9]{0,15}$/, { message: 'must be a positive integer', abort: true })
  .refine((v) => Number.isSafeInteger(Number(v)), 'must be at most 2^53 - 1');

export const auditProofParamsSchema = z.strictObject({ seq: logPosition });
export const auditProofQuerySchema = z.strictObject({
  treeSize: logPosition.optional().describe('Prove against the checkpoint of this size; default: the latest'),
});
export const auditConsistencyQuerySchema = z.strictObject({
  from: logPosition.describe('The size of the tree the caller trusts (an earlier checkpoint)'),
  to: logPosition.optional().describe('A later checkpoint size; default: the latest'),
});

const base64Hash = z.base64().describe('SHA-256 hash, base64');
const signedNote = z.string().describe('C2SP signed note over a tlog-checkpoint: origin, tree size, root, signatures');

export const auditProofSchema = z
  .object({
    record: auditRecordSchema,
    leafData: z.base64().describe("The record's canonical bytes; its leaf hash is SHA-256(0x00 || leafData)"),
    leafIndex: z.int().describe('seq - 1'),
    treeSize: z.int(),
    inclusion: z.array(base64Hash).describe('RFC 9162 inclusion path, from the leaf sibling up'),
    checkpoint: signedNote,
  })
  .meta({ id: 'AuditProof' });

export const auditConsistencySchema = z
  .object({
    fromSize: z.int(),
    toSize: z.int(),
    consistency: z.array(base64Hash).describe('RFC 9162 consistency proof'),
    fromCheckpoint: signedNote.optional().describe('Present when a checkpoint was signed at fromSize'),
    toCheckpoint: signedNote,
  })
  .meta({ id: 'AuditConsistency' });

export const auditPageSchema = pageSchema(auditRecordSchema, 'AuditPage');

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
