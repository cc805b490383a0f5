/**
 * ePRO instruments and their published scoring. Pure: no transport, no storage.
 * PHQ-9: Kroenke, Spitzer & Williams (2001), bands 0–4 minimal, 5–9 mild, 10–14
 * moderate, 15–19 moderately severe, 20–27 severe; item 9 (thoughts of self-harm) > 0
 * is flagged whatever the total. GAD-7: Spitzer et al. (2006), bands 0–4 minimal, 5–9
 * mild, 10–14 moderate, 15–21 severe.
 */
export type InstrumentName = 'INSTRUMENT_PHQ9' | 'INSTRUMENT_GAD7';

export type Severity = 'minimal' | 'mild' | 'moderate' | 'moderately_severe' | 'severe';

export interface InstrumentDefinition {
  /** Short code used in URLs, files and metrics labels. */
  code: 'phq9' | 'gad7';
  items: number;
  minAnswer: number;
  maxAnswer: number;
  /** Upper bounds (inclusive) of each severity band, in order. */
  bands: ReadonlyArray<readonly [max: number, severity: Severity]>;
}

export const INSTRUMENTS: Readonly<Record<InstrumentName, InstrumentDefinition>> = {
  INSTRUMENT_PHQ9: {
    code: 'phq9',
    items: 9,
    minAnswer: 0,
    maxAnswer: 3,
    bands: [
      [4, 'minimal'],
      [9, 'mild'],
      [14, 'moderate'],
      [19, 'moderately_severe'],
      [27, 'severe'],
    ],
  },
  INSTRUMENT_GAD7: {
    code: 'gad7',
    items: 7,
    minAnswer: 0,
    maxAnswer: 3,
    bands: [
      [4, 'minimal'],
      [9, 'mild'],
      [14, 'moderate'],
      [21, 'severe'],
    ],
  },
};

export const INSTRUMENT_BY_CODE: Readonly<Record<string, InstrumentName>> = {
  phq9: 'INSTRUMENT_PHQ9',
  gad7: 'INSTRUMENT_GAD7',
};

export interface Score {
  total: number;
  severity: Severity;
  flags: string[];
}

/** Why a set of answers cannot be scored, with the index of the offending answer if any. */
export interface ScoreProblem {
  path: Array<string | number>;
  message: string;
}

export function validateAnswers(instrument: InstrumentName, answers: readonly number[]): ScoreProblem | undefined {
  const def = INSTRUMENTS[instrument];
  if (answers.length !== def.items)
    return { path: ['answers'], message: `${def.code} needs exactly ${def.items} answers, got ${answers.length}` };
  const bad = answers.findIndex((a) => !Number.isInteger(a) || a < def.minAnswer || a > def.maxAnswer);
  if (bad >= 0)
    return { path: ['answers', bad], message: `answer must be an integer from ${def.minAnswer} to ${def.maxAnswer}` };
  return undefined;
}

/** Scores validated answers (call validateAnswers first). */
export function scoreAnswers(instrument: InstrumentName, answers: readonly number[]): Score {
  const def = INSTRUMENTS[instrument];
  const total = answers.reduce((sum, a) => sum + a, 0);
  const severity = def.bands.find(([max]) => total <= max)![1];
  const flags: string[] = [];
  if (instrument === 'INSTRUMENT_PHQ9' && answers[8]! > 0) flags.push('phq9_item9_positive');
  return { total, severity, flags };
}
