import { trace } from '@opentelemetry/api';
import {
  INSTRUMENTS,
  newPatientSchema,
  scoreAnswers,
  type AuditRecord,
  type InstrumentName,
  type PatientServiceHandlers,
} from '@patient-mesh/contract';
import type { Counter } from 'prom-client';
import { toAuditRecord, type AuditLog } from '../audit/AuditLog.js';
import { isProofMissing, type AuditProofs } from '../audit/ledger/AuditProofs.js';
import { InvalidInput, isInvalidInput } from '../domain/errors/InvalidInput.js';
import { NotFound } from '../domain/errors/NotFound.js';
import { requireUuid } from '../domain/requireUuid.js';
import { submitQuestionnaire } from '../domain/submitQuestionnaire.js';
import type { PatientRepository } from '../patients/PatientRepository.js';
import { uuidv7 } from '../support/uuidv7.js';
import { auditedUnary, type AuditedCallDeps } from './auditedCall.js';
import { AUDIT_PAGES, decodePageToken, encodePageToken, PATIENT_PAGES } from './pageToken.js';

const tracer = trace.getTracer('patient-rpc.questionnaires');

export interface PatientServiceDeps extends AuditedCallDeps {
  patients: PatientRepository;
  auditLog: AuditLog;
  auditProofs: AuditProofs;
  submissions: Counter<'instrument' | 'outcome'>;
}

const pageSize = (value: number, fallback: number, max: number): number => {
  if (value < 0 || value > max) throw new InvalidInput('page_size', `must be between 0 and ${max}`);
  return value || fallback;
};

/** A tree size or seq: a decimal int64 string within JavaScript's safe integers; '' when optional. */
const position = (field: string, value: string, optional = false): number | undefined => {
  if (optional && value === '') return undefined;
  if (!/^[1-9][0-9]{0,15}$/.test(value) || !Number.isSafeInteger(Number(value)))
    throw new InvalidInput(field, 'must be a positive integer');
  return Number(value);
};

/** Scoring in a span of its own; the score itself is health data, so the span names only the instrument. */
const tracedScore = (instrument: InstrumentName, answers: readonly number[]) =>
  tracer.startActiveSpan('questionnaire.score', { attributes: { 'questionnaire.instrument': instrument } }, (span) => {
    try {
      return scoreAnswers(instrument, answers);
    } finally {
      span.end();
    }
  });

/** The patient.v1.PatientService handlers (imports are added by the import module). */
export function createPatientHandlers(
  deps: PatientServiceDeps,
): Pick<
  PatientServiceHandlers,
  | 'GetPatient'
  | 'ListPatients'
  | 'CreatePatient'
  | 'SubmitQuestionnaire'
  | 'ListAuditRecords'
  | 'GetAuditProof'
  | 'GetAuditConsistency'
> {
  const { patients, auditLog, auditProofs } = deps;
  return {
    GetPatient: auditedUnary(
      'GetPatient',
      {
        action: 'patient.read',
        patientIds: (req) => [req.id],
        async handle(req, ctx) {
          const patient = await patients.get(requireUuid('id', req.id), ctx.signal);
          if (!patient) throw new NotFound('patient not found');
          return patient;
        },
      },
      deps,
    ),

    ListPatients: auditedUnary(
      'ListPatients',
      {
        action: 'patient.list',
        patientIds: (_req, res) => {
          const ids = (res?.patients ?? []).map((p) => p.id ?? '');
          return ids.length > 0 ? ids : [''];
        },
        async handle(req, ctx) {
          const size = pageSize(req.pageSize, 20, 100);
          const page = await patients.list(decodePageToken(PATIENT_PAGES, req.pageToken), size + 1, ctx.signal);
          const more = page.length > size;
          const shown = more ? page.slice(0, size) : page;
          return { patients: shown, nextPageToken: more ? encodePageToken(PATIENT_PAGES, shown.at(-1)!.id) : '' };
        },
      },
      deps,
    ),

    CreatePatient: auditedUnary(
      'CreatePatient',
      {
        action: 'patient.create',
        patientIds: (_req, res) => [res?.id ?? ''],
        async handle(req) {
          const parsed = newPatientSchema.safeParse(req);
          if (!parsed.success) {
            const issue = parsed.error.issues[0]!;
            throw new InvalidInput(issue.path.join('.'), issue.message);
          }
          return patients.create(uuidv7(), parsed.data);
        },
      },
      deps,
    ),

    SubmitQuestionnaire: auditedUnary(
      'SubmitQuestionnaire',
      {
        action: 'questionnaire.submit',
        patientIds: (req) => [req.patientId],
        async handle(req) {
          const outcome = { instrument: INSTRUMENTS[req.instrument as InstrumentName]?.code ?? 'unknown' };
          try {
            const result = await submitQuestionnaire(req, patients, { score: tracedScore });
            deps.submissions.inc({ ...outcome, outcome: result.replayed ? 'replayed' : 'accepted' });
            return result;
          } catch (error) {
            deps.submissions.inc({ ...outcome, outcome: isInvalidInput(error) ? 'rejected' : 'failed' });
            throw error;
          }
        },
      },
      deps,
    ),

    ListAuditRecords: auditedUnary(
      'ListAuditRecords',
      {
        action: 'audit.read',
        patientIds: (req) => [req.patientId],
        async handle(req) {
          const patientId = requireUuid('patient_id', req.patientId);
          const size = pageSize(req.pageSize, 100, 500);
          const after = decodePageToken(AUDIT_PAGES, req.pageToken) ?? 0;
          const rows = await auditLog.forPatient(patientId, after, size + 1);
          const more = rows.length > size;
          const records: AuditRecord[] = more ? rows.slice(0, size) : rows;
          return {
            records,
            nextPageToken: more ? encodePageToken(AUDIT_PAGES, Number(records.at(-1)!.seq)) : '',
          };
        },
      },
      deps,
    ),

    GetAuditProof: auditedUnary(
      'GetAuditProof',
      {
        action: 'audit.proof',
        patientIds: (_req, res) => [res?.record?.patientId ?? ''],
        async handle(req) {
          const seq = position('seq', req.seq)!;
          const proof = await auditProofs.inclusion(seq, position('tree_size', req.treeSize, true));
          if (isProofMissing(proof)) throw new NotFound(proof.missing);
          return {
            record: toAuditRecord(proof.row),
            leafData: proof.leafData,
            leafIndex: String(proof.leafIndex),
            treeSize: String(proof.treeSize),
            inclusion: proof.inclusion,
            checkpoint: proof.checkpoint,
          };
        },
      },
      deps,
    ),

    GetAuditConsistency: auditedUnary(
      'GetAuditConsistency',
      {
        action: 'audit.consistency',
        patientIds: () => [''],
        async handle(req) {
          const from = position('from_size', req.fromSize)!;
          const proof = await auditProofs.consistency(from, position('to_size', req.toSize, true));
          if (isProofMissing(proof)) throw new NotFound(proof.missing);
          return {
            fromSize: String(proof.fromSize),
            toSize: String(proof.toSize),
            consistency: proof.consistency,
            fromCheckpoint: proof.fromCheckpoint ?? '',
            toCheckpoint: proof.toCheckpoint,
          };
        },
      },
      deps,
    ),
  };
}
