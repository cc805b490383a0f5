import { trace } from '@opentelemetry/api';
import { status } from '@grpc/grpc-js';
import {
  INSTRUMENT_BY_CODE,
  INSTRUMENTS,
  completedAtSchema,
  newPatientSchema,
  scoreAnswers,
  validateAnswers,
  type AuditRecord,
  type InstrumentName,
  type PatientServiceHandlers,
} from '@patient-mesh/contract';
import type { Counter } from 'prom-client';
import { toAuditRecord, type AuditLog } from '../audit/AuditLog.js';
import { isProofMissing, type AuditProofs } from '../audit/ledger/AuditProofs.js';
import { MissingRecordsError } from '../audit/ledger/storedTree.js';
import { decodePageToken, encodePageToken } from '../domain/pageToken.js';
import { UUID_PATTERN, uuidv7 } from '../domain/uuidv7.js';
import type { PatientRepository } from '../patients/PatientRepository.js';
import { pgErrorCode, PG_FOREIGN_KEY_VIOLATION, PG_UNIQUE_VIOLATION } from '../store/Db.js';
import { auditedUnary, type AuditedUnaryDeps } from './auditedUnary.js';
import { invalidArgument, notFound, RpcError } from './RpcError.js';

const tracer = trace.getTracer('patient-rpc.questionnaires');

export interface PatientServiceDeps extends AuditedUnaryDeps {
  patients: PatientRepository;
  auditLog: AuditLog;
  auditProofs: AuditProofs;
  submissions: Counter<'instrument' | 'outcome'>;
}

const requireUuid = (field: string, value: string): string => {
  if (!UUID_PATTERN.test(value)) throw invalidArgument(field, 'must be a UUID');
  return value.toLowerCase();
};

const pageSize = (value: number, fallback: number, max: number): number => {
  if (value < 0 || value > max) throw invalidArgument('page_size', `must be between 0 and ${max}`);
  return value || fallback;
};

/** A tree size or seq: a decimal int64 string within JavaScript's safe integers; '' when optional. */
const position = (field: string, value: string, optional = false): number | undefined => {
  if (optional && value === '') return undefined;
  if (!/^[1-9][0-9]{0,15}$/.test(value) || !Number.isSafeInteger(Number(value)))
    throw invalidArgument(field, 'must be a positive integer');
  return Number(value);
};

/** Proofs the log can no longer give: it lacks records a signed checkpoint covers. */
const dataLoss = <T>(proof: Promise<T>): Promise<T> =>
  proof.catch((error: unknown) => {
    if (error instanceof MissingRecordsError) throw new RpcError(status.DATA_LOSS, error.message);
    throw error;
  });

const pageAfter = (token: string): string | undefined => {
  try {
    return decodePageToken(token);
  } catch (error) {
    throw invalidArgument('page_token', (error as Error).message);
  }
};

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
          if (!patient) throw notFound('patient');
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
          const page = await patients.list(pageAfter(req.pageToken), size + 1, ctx.signal);
          const more = page.length > size;
          const shown = more ? page.slice(0, size) : page;
          return { patients: shown, nextPageToken: more ? encodePageToken(shown.at(-1)!.id) : '' };
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
            throw invalidArgument(issue.path.join('.'), issue.message);
          }
          try {
            return await patients.create(uuidv7(), parsed.data);
          } catch (error) {
            if (pgErrorCode(error) === PG_UNIQUE_VIOLATION)
              throw new RpcError(
                status.ALREADY_EXISTS,
                'a patient with this subject code exists in this trial',
                'subjectCode',
              );
            throw error;
          }
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
            const result = await submit(req);
            deps.submissions.inc({ ...outcome, outcome: result.replayed ? 'replayed' : 'accepted' });
            return result;
          } catch (error) {
            deps.submissions.inc({
              ...outcome,
              outcome: error instanceof RpcError && error.code === status.INVALID_ARGUMENT ? 'rejected' : 'failed',
            });
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
          const token = req.pageToken ? Number(Buffer.from(req.pageToken, 'base64url').toString()) : 0;
          if (!Number.isSafeInteger(token) || token < 0)
            throw invalidArgument('page_token', 'not one this service issued');
          const rows = await auditLog.forPatient(patientId, token, size + 1);
          const more = rows.length > size;
          const records: AuditRecord[] = more ? rows.slice(0, size) : rows;
          return {
            records,
            nextPageToken: more ? Buffer.from(records.at(-1)!.seq).toString('base64url') : '',
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
          const proof = await dataLoss(auditProofs.inclusion(seq, position('tree_size', req.treeSize, true)));
          if (isProofMissing(proof)) throw new RpcError(status.NOT_FOUND, proof.missing);
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
          const proof = await dataLoss(auditProofs.consistency(from, position('to_size', req.toSize, true)));
          if (isProofMissing(proof)) throw new RpcError(status.NOT_FOUND, proof.missing);
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

  async function submit(req: Parameters<PatientServiceHandlers['SubmitQuestionnaire']>[0]['request']) {
    const patientId = requireUuid('patient_id', req.patientId);
    const submissionId = requireUuid('submission_id', req.submissionId);
    const instrument = req.instrument as InstrumentName;
    if (!(instrument in INSTRUMENTS))
      throw invalidArgument('instrument', `must be one of ${Object.keys(INSTRUMENT_BY_CODE).join(', ')}`);
    const problem = validateAnswers(instrument, req.answers);
    if (problem) throw invalidArgument(problem.path.join('.'), problem.message);
    let completedAt = new Date();
    if (req.completedAt) {
      const parsed = completedAtSchema.safeParse(req.completedAt);
      if (!parsed.success) throw invalidArgument('completed_at', parsed.error.issues[0]!.message);
      completedAt = new Date(parsed.data);
    }

    // The score itself is health data: the span names only the instrument.
    const score = tracer.startActiveSpan(
      'questionnaire.score',
      { attributes: { 'questionnaire.instrument': instrument } },
      (span) => {
        try {
          return scoreAnswers(instrument, req.answers);
        } finally {
          span.end();
        }
      },
    );
    let stored;
    try {
      stored = await patients.insertResponse({
        submissionId,
        patientId,
        instrument,
        answers: req.answers,
        score,
        completedAt,
      });
    } catch (error) {
      if (pgErrorCode(error) === PG_FOREIGN_KEY_VIOLATION) throw notFound('patient');
      throw error;
    }
    if (stored) return stored;
    const previous = await patients.getResponse(submissionId);
    if (!previous) throw new RpcError(status.ABORTED, 'submission changed concurrently; retry');
    const same =
      previous.result.patientId === patientId &&
      previous.result.instrument === instrument &&
      previous.answers.length === req.answers.length &&
      previous.answers.every((a, i) => a === req.answers[i]);
    if (!same)
      throw new RpcError(status.ALREADY_EXISTS, 'submission id already used for different answers', 'submissionId');
    return previous.result;
  }
}
