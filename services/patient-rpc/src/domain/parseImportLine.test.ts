import { describe, expect, it } from 'vitest';
import { parseImportLine } from './parseImportLine.js';

const good = {
  submissionId: '0b3c6f2e-1f5a-4c1e-9a4b-2f1d3c4b5a69',
  patientId: '01938c2e-7b1a-7c3d-8e4f-5a6b7c8d9e0f',
  instrument: 'phq9',
  answers: [1, 1, 1, 1, 1, 1, 1, 1, 1],
};
const reason = (v: unknown) => {
  const r = parseImportLine(7, typeof v === 'string' ? v : JSON.stringify(v));
  return r.ok ? 'ok' : r.reason;
};

describe('parseImportLine', () => {
  it('scores a good line like a single submission', () => {
    const r = parseImportLine(3, JSON.stringify({ ...good, completedAt: '2025-01-02T03:04:05Z' }));
    expect(r).toMatchObject({
      ok: true,
      row: {
        line: 3,
        instrument: 'INSTRUMENT_PHQ9',
        score: { total: 9, severity: 'mild', flags: ['phq9_item9_positive'] },
      },
    });
  });

  it('names what is wrong with a bad line', () => {
    expect(reason('{not json')).toBe('not valid JSON');
    expect(reason('[1,2]')).toBe('not a JSON object');
    expect(reason({ ...good, submissionId: undefined })).toBe('submissionId: required');
    expect(reason({ ...good, instrument: 'bdi2' })).toMatch(/^instrument: /);
    expect(reason({ ...good, answers: [0, 0, 0, 7, 0, 0, 0, 0, 0] })).toBe(
      'answers[3]: answer must be an integer from 0 to 3',
    );
    expect(reason({ ...good, answers: [0, 0] })).toMatch(/^answers: phq9 needs exactly 9 answers/);
    expect(reason({ ...good, patientId: 'nope' })).toMatch(/^patientId: /);
    expect(reason({ ...good, completedAt: 'yesterday' })).toMatch(/^completedAt: /);
  });
});
