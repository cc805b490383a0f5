import { describe, expect, it } from 'vitest';
import type { NewResponse } from '../domain/submitQuestionnaire.js';
import type { Db } from '../store/Db.js';
import { PatientRepository } from './PatientRepository.js';

const pgError = (code: string) => Object.assign(new Error(`pg ${code}`), { code });
const NEW = {
  trialId: 'T',
  siteId: 'S',
  subjectCode: 'C-1',
  givenName: 'Ada',
  familyName: 'B',
  birthDate: '1980-01-01',
  sex: 'other',
};
const RESPONSE: NewResponse = {
  submissionId: 's',
  patientId: 'p',
  instrument: 'INSTRUMENT_GAD7',
  answers: [1],
  score: { total: 1, severity: 'minimal', flags: [] },
  completedAt: new Date(0),
};

/** A Db whose every statement fails with `error`. */
const failing = (error: unknown) => ({ query: () => Promise.reject(error) }) as unknown as Db;

describe('PatientRepository: what a refused statement means', () => {
  const TABLE: Array<[string, unknown, (r: PatientRepository) => Promise<unknown>, object]> = [
    [
      'a taken subject code (23505) is a Conflict on subjectCode',
      pgError('23505'),
      (r) => r.create('id', NEW),
      { name: 'Conflict', field: 'subjectCode', message: 'a patient with this subject code exists in this trial' },
    ],
    [
      'a response for an unknown patient (23503) is NotFound',
      pgError('23503'),
      (r) => r.insertResponse(RESPONSE),
      { name: 'NotFound', message: 'patient not found' },
    ],
    ['any other failure of create goes up as it is', pgError('42P01'), (r) => r.create('id', NEW), { code: '42P01' }],
    [
      'any other failure of insertResponse goes up as it is',
      pgError('23505'),
      (r) => r.insertResponse(RESPONSE),
      { code: '23505' },
    ],
  ];
  it.each(TABLE)('%s', async (_name, error, run, expected) => {
    await expect(run(new PatientRepository(failing(error)))).rejects.toMatchObject(expected);
  });
});
