import type { Patient, QuestionnaireResult, InstrumentName } from '@patient-mesh/contract';
import { LRUCache } from 'lru-cache';
import { Conflict } from '../domain/errors/Conflict.js';
import { NotFound } from '../domain/errors/NotFound.js';
import type { NewPatient } from '../domain/NewPatient.js';
import type { NewResponse, ResponseStore, StoredResponse } from '../domain/submitQuestionnaire.js';
import type { Db } from '../store/Db.js';
import { isForeignKeyViolation, isUniqueViolation } from '../store/sqlState.js';

interface PatientRow {
  id: string;
  trial_id: string;
  site_id: string;
  subject_code: string;
  given_name: string;
  family_name: string;
  birth_date: string;
  sex: string;
  created_at: Date;
}

interface ResponseRow {
  submission_id: string;
  patient_id: string;
  instrument: string;
  answers: number[];
  total_score: number;
  severity: string;
  flags: string[];
  completed_at: Date;
  recorded_at: Date;
}

const PATIENT_COLUMNS =
  'id::text, trial_id, site_id, subject_code, given_name, family_name, birth_date::text AS birth_date, sex, created_at';
const RESPONSE_COLUMNS =
  'submission_id::text, patient_id::text, instrument, answers, total_score, severity, flags, completed_at, recorded_at';

export interface PatientCacheOptions {
  /** Records kept; 0 = no cache. */
  maxEntries: number;
  ttlSeconds: number;
}

/**
 * SQL for patients and questionnaire responses; the same on PostgreSQL and PGlite. Patient
 * records never change once created (there is no update or delete), so reads by id are
 * served from a bounded in-memory cache; a TTL bounds staleness after a change made in SQL.
 * Only found records are cached: an unknown id is asked again next time. Constraint
 * violations come back as what they mean: Conflict (a subject code taken), NotFound (a
 * response for a patient that does not exist).
 */
export class PatientRepository implements ResponseStore {
  readonly #cache: LRUCache<string, Patient> | undefined;

  constructor(
    private readonly db: Db,
    cache: PatientCacheOptions = { maxEntries: 0, ttlSeconds: 60 },
  ) {
    if (cache.maxEntries > 0) this.#cache = new LRUCache({ max: cache.maxEntries, ttl: cache.ttlSeconds * 1000 });
  }

  async get(id: string, signal?: AbortSignal): Promise<Patient | undefined> {
    const cached = this.#cache?.get(id);
    if (cached) return cached;
    const [row] = await this.db.query<PatientRow>(`SELECT ${PATIENT_COLUMNS} FROM patients WHERE id = $1`, [id], {
      signal,
    });
    if (!row) return undefined;
    const patient = toPatient(row);
    this.#cache?.set(id, patient);
    return patient;
  }

  /** Up to `limit` patients with id after `after`, in id order. */
  async list(after: string | undefined, limit: number, signal?: AbortSignal): Promise<Patient[]> {
    const rows = after
      ? await this.db.query<PatientRow>(
          `SELECT ${PATIENT_COLUMNS} FROM patients WHERE id > $1 ORDER BY id LIMIT $2`,
          [after, limit],
          { signal },
        )
      : await this.db.query<PatientRow>(`SELECT ${PATIENT_COLUMNS} FROM patients ORDER BY id LIMIT $1`, [limit], {
          signal,
        });
    return rows.map(toPatient);
  }

  async create(id: string, p: NewPatient): Promise<Patient> {
    const [row] = await this.db
      .query<PatientRow>(
        `INSERT INTO patients (id, trial_id, site_id, subject_code, given_name, family_name, birth_date, sex)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${PATIENT_COLUMNS}`,
        [id, p.trialId, p.siteId, p.subjectCode, p.givenName, p.familyName, p.birthDate, p.sex],
      )
      .catch((error: unknown) => {
        if (isUniqueViolation(error))
          throw new Conflict('subjectCode', 'a patient with this subject code exists in this trial');
        throw error;
      });
    const patient = toPatient(row!);
    this.#cache?.set(id, patient);
    return patient;
  }

  async count(): Promise<number> {
    const [row] = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM patients');
    return row!.n;
  }

  /** Inserts a response unless its submission id exists; returns undefined on a repeat. */
  async insertResponse(r: NewResponse): Promise<QuestionnaireResult | undefined> {
    const [row] = await this.db
      .query<ResponseRow>(
        `INSERT INTO questionnaire_responses
         (submission_id, patient_id, instrument, answers, total_score, severity, flags, completed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (submission_id) DO NOTHING RETURNING ${RESPONSE_COLUMNS}`,
        [
          r.submissionId,
          r.patientId,
          r.instrument,
          r.answers,
          r.score.total,
          r.score.severity,
          r.score.flags,
          r.completedAt,
        ],
      )
      .catch((error: unknown) => {
        if (isForeignKeyViolation(error)) throw new NotFound('patient not found');
        throw error;
      });
    return row && toResult(row, false);
  }

  async getResponse(submissionId: string): Promise<StoredResponse | undefined> {
    const [row] = await this.db.query<ResponseRow>(
      `SELECT ${RESPONSE_COLUMNS} FROM questionnaire_responses WHERE submission_id = $1`,
      [submissionId],
    );
    return row && { result: toResult(row, true), answers: row.answers.map(Number) };
  }
}

function toPatient(r: PatientRow): Patient {
  return {
    id: r.id,
    trialId: r.trial_id,
    siteId: r.site_id,
    subjectCode: r.subject_code,
    givenName: r.given_name,
    familyName: r.family_name,
    birthDate: r.birth_date,
    sex: r.sex,
    createdAt: new Date(r.created_at).toISOString(),
  };
}

function toResult(r: ResponseRow, replayed: boolean): QuestionnaireResult {
  return {
    submissionId: r.submission_id,
    patientId: r.patient_id,
    instrument: r.instrument as InstrumentName,
    totalScore: r.total_score,
    severity: r.severity,
    flags: r.flags,
    completedAt: new Date(r.completed_at).toISOString(),
    recordedAt: new Date(r.recorded_at).toISOString(),
    replayed,
  };
}
