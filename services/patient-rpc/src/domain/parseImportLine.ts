import {
  INSTRUMENT_BY_CODE,
  questionnaireSubmissionSchema,
  scoreAnswers,
  validateAnswers,
  type InstrumentName,
  type Score,
} from '@patient-mesh/contract';
import { z } from 'zod';

/** One accepted import line, validated and scored like a single submission. */
export interface ImportRow {
  line: number;
  submissionId: string;
  patientId: string;
  instrument: InstrumentName;
  answers: number[];
  score: Score;
  completedAt: Date | undefined;
}

export type ParsedLine = { ok: true; line: number; row: ImportRow } | { ok: false; line: number; reason: string };

// The single-submission shape (same field rules) plus the patient the line belongs to.
const lineSchema = z.strictObject({
  ...questionnaireSubmissionSchema.shape,
  patientId: z.uuid(),
});

/**
 * Validates one NDJSON line of an import: JSON object, submission and patient UUIDs, a known
 * instrument, answers in range (same rules and scoring as SubmitQuestionnaire). Pure.
 */
export function parseImportLine(line: number, text: string): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, line, reason: 'not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, line, reason: 'not a JSON object' };
  const parsed = lineSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = formatPath(issue.path);
    const missing = issue.code === 'invalid_type' && issue.path.length === 1 && !(issue.path[0]! in value);
    return { ok: false, line, reason: missing ? `${path}: required` : `${path}: ${issue.message}` };
  }
  const body = parsed.data;
  const instrument = INSTRUMENT_BY_CODE[body.instrument]!;
  const problem = validateAnswers(instrument, body.answers);
  if (problem) return { ok: false, line, reason: `${formatPath(problem.path)}: ${problem.message}` };
  return {
    ok: true,
    line,
    row: {
      line,
      submissionId: body.submissionId.toLowerCase(),
      patientId: body.patientId.toLowerCase(),
      instrument,
      answers: body.answers,
      score: scoreAnswers(instrument, body.answers),
      completedAt: body.completedAt === undefined ? undefined : new Date(body.completedAt),
    },
  };
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)),
    '',
  );
}
