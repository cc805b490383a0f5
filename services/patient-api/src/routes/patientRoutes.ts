import { Router, type Response } from 'express';
import { INSTRUMENT_BY_CODE, INSTRUMENTS, type InstrumentName, type QuestionnaireResult } from '@patient-mesh/contract';
import { validate } from '../http/validate.js';
import type { PatientClient } from '../rpc/PatientClient.js';
import { callOptions } from './callOptions.js';
import { guard } from './guard.js';
import { PAGE_FIELDS, pageJson, pageRequest } from './page.js';
import {
  auditConsistencyQuerySchema,
  auditProofParamsSchema,
  auditProofQuerySchema,
  auditQuerySchema,
  idParamsSchema,
  listQuerySchema,
  newPatientSchema,
  questionnaireSubmissionSchema,
} from './schemas.js';

/** The patient data routes; each checks the role, validates, calls patient-rpc once and translates. */
export function patientRoutes(rpc: PatientClient): Router {
  const router = Router();

  const readPatient = guard('patient.read', { id: 'params.id' }, (req, o) =>
    rpc.call('GetPatient', { id: String(req.params['id']) }, o),
  );
  const getPatient = async (req: { params: unknown }, res: Response) => {
    const { id } = validate(idParamsSchema, req.params, 'params');
    res.json(await rpc.call('GetPatient', { id }, callOptions(res)));
  };
  router.get('/patients/:id', readPatient, getPatient);
  router.get('/patient/:id', readPatient, getPatient);

  const listPatients = guard('patient.list', PAGE_FIELDS, (_req, o) => rpc.call('ListPatients', {}, o));
  router.get('/patients', listPatients, async (req, res) => {
    const query = validate(listQuerySchema, req.query, 'query');
    const page = await rpc.call('ListPatients', pageRequest(query), callOptions(res));
    res.json(pageJson(page.patients, page.nextPageToken));
  });

  const createPatient = guard('patient.create', {}, (_req, o) => rpc.call('CreatePatient', {}, o));
  router.post('/patients', createPatient, async (req, res) => {
    const body = validate(newPatientSchema, req.body, 'body');
    const patient = await rpc.call('CreatePatient', body, callOptions(res));
    res.status(201).location(`/api/v1/patients/${patient.id}`).json(patient);
  });

  const submit = guard('questionnaire.submit', { patient_id: 'params.id' }, (req, o) =>
    rpc.call('SubmitQuestionnaire', { patientId: String(req.params['id']) }, o),
  );
  router.post('/patients/:id/questionnaires', submit, async (req, res) => {
    const { id } = validate(idParamsSchema, req.params, 'params');
    const body = validate(questionnaireSubmissionSchema, req.body, 'body');
    const result = await rpc.call(
      'SubmitQuestionnaire',
      {
        patientId: id,
        submissionId: body.submissionId,
        instrument: INSTRUMENT_BY_CODE[body.instrument]!,
        answers: body.answers,
        completedAt: body.completedAt ?? '',
      },
      callOptions(res),
    );
    res.status(result.replayed ? 200 : 201).json(toResultJson(result));
  });

  const auditRead = guard('audit.read', { ...PAGE_FIELDS, patient_id: 'query.patientId' }, (req, o) =>
    rpc.call('ListAuditRecords', { patientId: String(req.query['patientId'] ?? '') }, o),
  );
  router.get('/audit', auditRead, async (req, res) => {
    const query = validate(auditQuerySchema, req.query, 'query');
    const page = await rpc.call(
      'ListAuditRecords',
      { patientId: query.patientId, ...pageRequest(query) },
      callOptions(res),
    );
    res.json(pageJson(page.records, page.nextPageToken));
  });

  const consistency = guard('audit.consistency', { from_size: 'query.from', to_size: 'query.to' }, (_req, o) =>
    rpc.call('GetAuditConsistency', {}, o),
  );
  router.get('/audit/consistency', consistency, async (req, res) => {
    const query = validate(auditConsistencyQuerySchema, req.query, 'query');
    const proof = await rpc.call(
      'GetAuditConsistency',
      { fromSize: query.from, toSize: query.to ?? '' },
      callOptions(res),
    );
    res.json({
      fromSize: Number(proof.fromSize),
      toSize: Number(proof.toSize),
      consistency: proof.consistency.map(base64),
      ...(proof.fromCheckpoint && { fromCheckpoint: proof.fromCheckpoint }),
      toCheckpoint: proof.toCheckpoint,
    });
  });

  const proof = guard('audit.proof', { seq: 'params.seq', tree_size: 'query.treeSize' }, (_req, o) =>
    rpc.call('GetAuditProof', {}, o),
  );
  router.get('/audit/:seq/proof', proof, async (req, res) => {
    const { seq } = validate(auditProofParamsSchema, req.params, 'params');
    const query = validate(auditProofQuerySchema, req.query, 'query');
    const proof = await rpc.call('GetAuditProof', { seq, treeSize: query.treeSize ?? '' }, callOptions(res));
    res.json({
      record: proof.record,
      leafData: base64(proof.leafData),
      leafIndex: Number(proof.leafIndex),
      treeSize: Number(proof.treeSize),
      inclusion: proof.inclusion.map(base64),
      checkpoint: proof.checkpoint,
    });
  });

  return router;
}

const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

function toResultJson({ replayed: _replayed, instrument, ...rest }: QuestionnaireResult) {
  return { ...rest, instrument: INSTRUMENTS[instrument as InstrumentName].code };
}
