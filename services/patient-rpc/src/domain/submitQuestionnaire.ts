import {
  INSTRUMENT_BY_CODE,
  INSTRUMENTS,
  completedAtSchema,
  scoreAnswers,
  validateAnswers,
  type InstrumentName,
  type QuestionnaireResult,
  type Score,
} from '@patient-mesh/contract';
import { ConcurrentChange } from './errors/ConcurrentChange.js';
import { Conflict } from './errors/Conflict.js';
import { InvalidInput } from './errors/InvalidInput.js';
import { requireUuid } from './requireUuid.js';

/** A questionnaire submission as it arrives (field names of SubmitQuestionnaireRequest). */
export interface Submission {
  patientId: string;
  submissionId: string;
  /** An instrument name (INSTRUMENT_PHQ9, ...); anything else is refused. */
  instrument: string;
  answers: number[];
  /** RFC 3339; '' for "when it is stored". */
  completedAt: string;
}

/** A scored response to store. */
export interface NewResponse {
  submissionId: string;
  patientId: string;
  instrument: InstrumentName;
  answers: readonly number[];
  score: Score;
  completedAt: Date;
}

/** A stored questionnaire response with the answers it was scored from. */
export interface StoredResponse {
  result: QuestionnaireResult;
  answers: number[];
}

/** Where responses are kept (PatientRepository). */
export interface ResponseStore {
  /**
   * Stores `response` unless its submission id is taken: then undefined. Throws NotFound
   * when the patient does not exist.
   */
  insertResponse(response: NewResponse): Promise<QuestionnaireResult | undefined>;
  getResponse(submissionId: string): Promise<StoredResponse | undefined>;
}

export interface SubmitQuestionnaireOptions {
  /** Scores the answers (default: the instrument's scoring; the handler wraps it in a span). */
  score?: (instrument: InstrumentName, answers: readonly number[]) => Score;
  now?: () => Date;
}

/**
 * Validates, scores and stores one submission, idempotently by submission id: the same
 * submission again returns the stored result (`replayed`); the id with other answers, or
 * for another patient or instrument, is a Conflict. InvalidInput names the field at fault.
 */
export async function submitQuestionnaire(
  submission: Submission,
  store: ResponseStore,
  { score = scoreAnswers, now = () => new Date() }: SubmitQuestionnaireOptions = {},
): Promise<QuestionnaireResult> {
  const patientId = requireUuid('patient_id', submission.patientId);
  const submissionId = requireUuid('submission_id', submission.submissionId);
  const instrument = submission.instrument as InstrumentName;
  if (!(instrument in INSTRUMENTS))
    throw new InvalidInput('instrument', `must be one of ${Object.keys(INSTRUMENT_BY_CODE).join(', ')}`);
  const { answers } = submission;
  const problem = validateAnswers(instrument, answers);
  if (problem) throw new InvalidInput(problem.path.join('.'), problem.message);
  let completedAt = now();
  if (submission.completedAt) {
    const parsed = completedAtSchema.safeParse(submission.completedAt);
    if (!parsed.success) throw new InvalidInput('completed_at', parsed.error.issues[0]!.message);
    completedAt = new Date(parsed.data);
  }

  const stored = await store.insertResponse({
    submissionId,
    patientId,
    instrument,
    answers,
    score: score(instrument, answers),
    completedAt,
  });
  if (stored) return stored;
  const previous = await store.getResponse(submissionId);
  if (!previous) throw new ConcurrentChange('submission changed concurrently; retry');
  const same =
    previous.result.patientId === patientId &&
    previous.result.instrument === instrument &&
    previous.answers.length === answers.length &&
    previous.answers.every((a, i) => a === answers[i]);
  if (!same) throw new Conflict('submissionId', 'submission id already used for different answers');
  return previous.result;
}
