import { z } from 'zod';
import {
  auditConsistencyQuerySchema,
  auditConsistencySchema,
  auditPageSchema,
  auditProofParamsSchema,
  auditProofQuerySchema,
  auditProofSchema,
  auditQuerySchema,
  idParamsSchema,
  listQuerySchema,
  newPatientSchema,
  patientPageSchema,
  patientSchema,
  problemSchema,
  questionnaireResultSchema,
  questionnaireSubmissionSchema,
} from './schemas.js';
import { importJobSchema, NDJSON } from './importRoutes.js';

const ref = (schema: z.ZodType) => ({ $ref: `#/components/schemas/${String(z.globalRegistry.get(schema)?.id)}` });
const json = (schema: z.ZodType) => ({ content: { 'application/json': { schema: ref(schema) } } });
const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ref(problemSchema) } },
});

/** Path or query parameters from a zod object schema, as OpenAPI parameter objects. */
function parameters(schema: z.ZodObject, where: 'path' | 'query') {
  const jsonSchema = z.toJSONSchema(schema, { io: 'input' }) as {
    properties: Record<string, object>;
    required?: string[];
  };
  return Object.entries(jsonSchema.properties).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (jsonSchema.required ?? []).includes(name),
    schema: s,
  }));
}

const common = {
  '401': problem('Missing, expired or invalid bearer token (with WWW-Authenticate)'),
  '403': problem('The token lacks the role this operation needs'),
  '429': problem('Rate limited (Retry-After, RateLimit headers)'),
  '503': problem('patient-rpc unavailable, breaker open or load shed (Retry-After)'),
  '504': problem('The request budget ran out upstream'),
};
const byId = {
  '400': problem('Malformed id (not a UUID) or invalid body; `errors[].path` names each field'),
  '404': problem('No patient with this id'),
};

/** The OpenAPI 3.1 document, generated from the same zod schemas that validate requests. */
export function openapiDocument(version: string): object {
  const components = z.toJSONSchema(z.globalRegistry, { uri: (id) => `#/components/schemas/${id}`, io: 'input' });
  const getPatient = {
    operationId: 'getPatient',
    tags: ['patients'],
    summary: 'Read one patient (audited)',
    security: [{ bearer: [] }],
    parameters: parameters(idParamsSchema, 'path'),
    responses: { '200': { description: 'The patient', ...json(patientSchema) }, ...byId, ...common },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'patient-mesh API',
      version,
      description: 'Patient records and ePRO questionnaires for clinical trials. Every access is audited.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    // Relative: the origin that serves this document (a cluster's Ingress, kind, make dev).
    servers: [{ url: '/', description: 'The origin serving this document' }],
    tags: [
      { name: 'patients', description: 'Patient records (clinician)' },
      { name: 'questionnaires', description: 'ePRO questionnaires, one by one (clinician)' },
      { name: 'imports', description: 'Bulk ePRO imports (importer)' },
      { name: 'audit', description: 'The audit trail and its proofs (auditor)' },
    ],
    components: {
      schemas: components.schemas,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
    paths: {
      '/api/v1/patients/{id}': { get: getPatient },
      '/api/v1/patient/{id}': {
        get: {
          ...getPatient,
          operationId: 'getPatientOriginalPath',
          summary: 'Read one patient (original path, kept)',
        },
      },
      '/api/v1/patients': {
        get: {
          operationId: 'listPatients',
          tags: ['patients'],
          summary: 'List patients (keyset pagination; audited per patient)',
          security: [{ bearer: [] }],
          parameters: parameters(listQuerySchema, 'query'),
          responses: {
            '200': { description: 'A page', ...json(patientPageSchema) },
            '400': problem('Invalid limit or cursor'),
            ...common,
          },
        },
        post: {
          operationId: 'createPatient',
          tags: ['patients'],
          summary: 'Create a patient (clinician)',
          security: [{ bearer: [] }],
          requestBody: { required: true, ...json(newPatientSchema) },
          responses: {
            '201': { description: 'Created (Location header)', ...json(patientSchema) },
            '400': problem('Invalid body; `errors[].path` names each field'),
            '409': problem('Subject code already enrolled in this trial'),
            '413': problem('Body over the size limit'),
            '415': problem('Content-Type is not application/json'),
            ...common,
          },
        },
      },
      '/api/v1/patients/{id}/questionnaires': {
        post: {
          operationId: 'submitQuestionnaire',
          tags: ['questionnaires'],
          summary: 'Submit one ePRO response (PHQ-9 or GAD-7), scored server-side; idempotent by submissionId',
          security: [{ bearer: [] }],
          parameters: parameters(idParamsSchema, 'path'),
          requestBody: { required: true, ...json(questionnaireSubmissionSchema) },
          responses: {
            '201': { description: 'Scored and stored', ...json(questionnaireResultSchema) },
            '200': {
              description: 'This submissionId was already stored: the stored result',
              ...json(questionnaireResultSchema),
            },
            ...byId,
            '409': problem('submissionId already used with different answers'),
            '413': problem('Body over the size limit'),
            '415': problem('Content-Type is not application/json'),
            ...common,
          },
        },
      },
      '/api/v1/epro/imports': {
        post: {
          operationId: 'createImport',
          tags: ['imports'],
          summary: 'Bulk-import ePRO responses (importer): NDJSON, one submission plus patientId per line, streamed',
          security: [{ bearer: [] }],
          requestBody: { required: true, content: { [NDJSON]: { schema: { type: 'string' } } } },
          responses: {
            '202': { description: 'Staged durably (Location header); processing follows', ...json(importJobSchema) },
            '415': problem(`Content-Type is not ${NDJSON}`),
            ...common,
          },
        },
      },
      '/api/v1/epro/imports/{id}': {
        get: {
          operationId: 'getImport',
          tags: ['imports'],
          summary: 'Read an import job: state, counts, rate, first line errors (importer)',
          security: [{ bearer: [] }],
          parameters: parameters(idParamsSchema, 'path'),
          responses: {
            '200': { description: 'The job', ...json(importJobSchema) },
            '400': problem('Malformed id (not a UUID)'),
            '404': problem('No import job with this id'),
            ...common,
          },
        },
      },
      '/api/v1/audit': {
        get: {
          operationId: 'listAuditRecords',
          tags: ['audit'],
          summary: "Read a patient's audit trail (auditor)",
          security: [{ bearer: [] }],
          parameters: parameters(auditQuerySchema, 'query'),
          responses: {
            '200': { description: 'Records, oldest first', ...json(auditPageSchema) },
            '400': problem('Invalid query'),
            ...common,
          },
        },
      },
      '/api/v1/audit/{seq}/proof': {
        get: {
          operationId: 'getAuditProof',
          tags: ['audit'],
          summary: 'One audit record with its inclusion proof in a signed checkpoint (auditor; audited)',
          security: [{ bearer: [] }],
          parameters: [...parameters(auditProofParamsSchema, 'path'), ...parameters(auditProofQuerySchema, 'query')],
          responses: {
            '200': {
              description: 'The record, its leaf bytes, the proof and the checkpoint',
              ...json(auditProofSchema),
            },
            '400': problem('seq or treeSize is not a positive integer'),
            '404': problem('No such record or checkpoint, or no checkpoint covers the record yet'),
            '500': problem('The log no longer holds records the checkpoint signed (reason data_loss)'),
            ...common,
          },
        },
      },
      '/api/v1/audit/consistency': {
        get: {
          operationId: 'getAuditConsistency',
          tags: ['audit'],
          summary: 'Consistency proof between two sizes of the audit tree (auditor; audited)',
          security: [{ bearer: [] }],
          parameters: parameters(auditConsistencyQuerySchema, 'query'),
          responses: {
            '200': { description: 'The proof and the checkpoints at both sizes', ...json(auditConsistencySchema) },
            '400': problem('from or to is not a positive integer'),
            '404': problem('No checkpoint at `to`, or `from` beyond it'),
            '500': problem('The log no longer holds records the checkpoint signed (reason data_loss)'),
            ...common,
          },
        },
      },
    },
  };
}
