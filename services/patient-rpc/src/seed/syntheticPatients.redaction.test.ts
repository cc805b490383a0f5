import { Writable } from 'node:stream';
import { createLogger } from '@patient-mesh/runtime';
import { describe, expect, it } from 'vitest';
import { syntheticPatients } from './syntheticPatients.js';

// The logger's redaction over every synthetic patient, in each shape the services could
// log one by accident: the record itself, under `patient`, one level down, and inside a
// driver's error (parameters and the failing row).
describe('redaction of patient data in logs', () => {
  it('no name, birth date or subject code of 500 patients reaches a log line', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger({ level: 'info' }, { name: 'patient-rpc', destination });
    const patients = syntheticPatients(500, 7);
    for (const p of patients) {
      logger.info({ patient: p }, 'created');
      logger.info({ givenName: p.givenName, familyName: p.familyName, birthDate: p.birthDate }, 'fields');
      logger.warn({ detail: p }, 'nested');
      const driver = Object.assign(new Error('insert failed'), {
        code: '23505',
        params: [p.subjectCode, p.givenName, p.familyName, p.birthDate],
        detail: `Key (subject_code)=(${p.subjectCode}) already exists.`,
      });
      logger.error({ err: driver }, 'unexpected error in handler');
    }
    expect(lines).toHaveLength(4 * patients.length);
    const text = lines.join('');
    const leaked = patients.flatMap((p) =>
      [p.familyName, p.birthDate, p.subjectCode].filter((value) => text.includes(value)),
    );
    expect(leaked).toEqual([]);
  });
});
