import type { QuestionnaireResult } from '@patient-mesh/contract';
import { describe, expect, it } from 'vitest';
import { NotFound } from './errors/NotFound.js';
import {
  submitQuestionnaire,
  type NewResponse,
  type ResponseStore,
  type StoredResponse,
  type Submission,
} from './submitQuestionnaire.js';

const PATIENT = '01938c2e-7b1a-7c3d-8e4f-5a6b7c8d9e0f';
const SUBMISSION = '0B3C6F2E-1F5A-4C1E-9A4B-2F1D3C4B5A69';
const submission = (over: Partial<Submission> = {}): Submission => ({
  patientId: PATIENT,
  submissionId: SUBMISSION,
  instrument: 'INSTRUMENT_GAD7',
  answers: [1, 1, 1, 1, 1, 1, 1],
  completedAt: '',
  ...over,
});

/** An in-memory ResponseStore keyed by submission id, with the patients it knows. */
function memoryStore(patients = [PATIENT]) {
  const rows = new Map<string, StoredResponse>();
  const inserted: NewResponse[] = [];
  const store: ResponseStore = {
    async insertResponse(r) {
      if (!patients.includes(r.patientId)) throw new NotFound('patient not found');
      if (rows.has(r.submissionId)) return undefined;
      inserted.push(r);
      const result: QuestionnaireResult = {
        submissionId: r.submissionId,
        patientId: r.patientId,
        instrument: r.instrument,
        totalScore: r.score.total,
        severity: r.score.severity,
        flags: r.score.flags,
        completedAt: r.completedAt.toISOString(),
        recordedAt: r.completedAt.toISOString(),
        replayed: false,
      };
      rows.set(r.submissionId, { result: { ...result, replayed: true }, answers: [...r.answers] });
      return result;
    },
    getResponse: async (id) => rows.get(id),
  };
  return { store, inserted, rows };
}

describe('submitQuestionnaire', () => {
  const now = () => new Date('2026-02-01T10:00:00.000Z');

  it('scores and stores a submission, ids in lower case, completed now unless it says when', async () => {
    const { store, inserted } = memoryStore();
    const result = await submitQuestionnaire(submission(), store, { now });
    expect(result).toMatchObject({ submissionId: SUBMISSION.toLowerCase(), totalScore: 7, replayed: false });
    expect(inserted[0]).toMatchObject({ completedAt: now(), instrument: 'INSTRUMENT_GAD7' });
    await submitQuestionnaire(
      submission({ submissionId: '0b3c6f2e-1f5a-4c1e-9a4b-2f1d3c4b5a70', completedAt: '2026-01-31T09:30:00Z' }),
      store,
    );
    expect(inserted[1]!.completedAt.toISOString()).toBe('2026-01-31T09:30:00.000Z');
  });

  it('uses the scoring it is given (the handler traces it)', async () => {
    const { store } = memoryStore();
    const seen: string[] = [];
    const result = await submitQuestionnaire(submission(), store, {
      score: (instrument) => {
        seen.push(instrument);
        return { total: 99, severity: 'severe', flags: [] };
      },
    });
    expect([seen, result.totalScore]).toEqual([['INSTRUMENT_GAD7'], 99]);
  });

  it('the same submission again is the stored result, replayed; other answers under its id are a conflict', async () => {
    const { store } = memoryStore();
    await submitQuestionnaire(submission(), store);
    expect(await submitQuestionnaire(submission(), store)).toMatchObject({ replayed: true, totalScore: 7 });
    await expect(submitQuestionnaire(submission({ answers: [0, 0, 0, 0, 0, 0, 0] }), store)).rejects.toMatchObject({
      name: 'Conflict',
      field: 'submissionId',
      message: 'submission id already used for different answers',
    });
    await expect(
      submitQuestionnaire(submission({ instrument: 'INSTRUMENT_PHQ9', answers: Array(9).fill(0) }), store),
    ).rejects.toMatchObject({ name: 'Conflict' });
  });

  it('a taken id whose response is not there (yet) is a concurrent change, to retry', async () => {
    const store: ResponseStore = { insertResponse: async () => undefined, getResponse: async () => undefined };
    await expect(submitQuestionnaire(submission(), store)).rejects.toMatchObject({
      name: 'ConcurrentChange',
      message: 'submission changed concurrently; retry',
    });
  });

  it("an unknown patient is the store's NotFound", async () => {
    const { store } = memoryStore([]);
    await expect(submitQuestionnaire(submission(), store)).rejects.toMatchObject({
      name: 'NotFound',
      message: 'patient not found',
    });
  });

  const INVALID: Array<[string, Partial<Submission>, string, string]> = [
    ['patient id', { patientId: 'nope' }, 'patient_id', 'patient_id: must be a UUID'],
    ['submission id', { submissionId: '' }, 'submission_id', 'submission_id: must be a UUID'],
    ['instrument', { instrument: 'INSTRUMENT_UNSPECIFIED' }, 'instrument', 'instrument: must be one of phq9, gad7'],
    ['an answer', { answers: [1, 1, 1, 7, 1, 1, 1] }, 'answers.3', 'answers.3: answer must be an integer from 0 to 3'],
    ['completed at', { completedAt: 'yesterday' }, 'completed_at', 'completed_at: '],
  ];
  it.each(INVALID)(
    'refuses a bad %s as InvalidInput naming the field, storing nothing',
    async (_n, over, field, message) => {
      const { store, inserted } = memoryStore();
      const error = await submitQuestionnaire(submission(over), store).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'InvalidInput', field, message: expect.stringContaining(message) });
      expect(inserted).toEqual([]);
    },
  );
});
