// The contract between patient-api and patient-rpc: the gRPC service (proto, generated
// types, call metadata), the request schemas both sides validate with, questionnaire
// scoring, and who may do what. It imports nothing of the project's own.
export {
  loadPatientPackageDefinition,
  loadPatientProto,
  PATIENT_PROTO,
  patientServiceMethods,
  PROTO_DIR,
  PROTO_LOADER_OPTIONS,
  type PatientServiceMethod,
} from './proto.js';
export {
  INSTRUMENT_BY_CODE,
  INSTRUMENTS,
  scoreAnswers,
  validateAnswers,
  type InstrumentDefinition,
  type InstrumentName,
  type Score,
  type ScoreProblem,
  type Severity,
} from './instruments.js';
export {
  ACTION_ROLE,
  AUDIT_OUTCOMES,
  CALL_METADATA,
  isRole,
  roleFor,
  ROLES,
  type Action,
  type AuditOutcome,
  type Principal,
  type Role,
} from './authorize.js';
export type { ProtoGrpcType } from './gen/patient.js';
export type { Patient__Output as Patient } from './gen/patient/v1/Patient.js';
export type { PatientServiceClient } from './gen/patient/v1/PatientService.js';
export type { PatientServiceHandlers } from './gen/patient/v1/PatientService.js';
export type { QuestionnaireResult__Output as QuestionnaireResult } from './gen/patient/v1/QuestionnaireResult.js';
export type { AuditRecord__Output as AuditRecord } from './gen/patient/v1/AuditRecord.js';
export type { ImportJob__Output as ImportJob } from './gen/patient/v1/ImportJob.js';
export {
  auditQuerySchema,
  completedAtSchema,
  listQuerySchema,
  newPatientSchema,
  patientId,
  questionnaireSubmissionSchema,
  type NewPatientInput,
  type QuestionnaireSubmissionInput,
} from './schemas.js';
