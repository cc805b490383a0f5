import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

describe('createLogger', () => {
  it('writes JSON with the service name and redacts patient data and credentials', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger({ level: 'info' }, { name: 'patient-api', destination });
    logger.info(
      {
        patient: { givenName: 'Ada', birthDate: '1970-01-01' },
        req: { headers: { authorization: 'Bearer secret-token' } },
        answers: [3, 3, 3],
        detail: { familyName: 'Lovelace', token: 'abc' },
        route: '/api/v1/patients/:id',
      },
      'request done',
    );
    const record = JSON.parse(lines[0]!);
    expect(record).toMatchObject({
      service: 'patient-api',
      level: 'info',
      msg: 'request done',
      route: '/api/v1/patients/:id',
    });
    const text = lines.join('');
    for (const secret of ['Ada', '1970-01-01', 'secret-token', 'Lovelace', '"abc"', '[3,3,3]'])
      expect(text).not.toContain(secret);
  });

  it("logs a driver's error without the statement's parameters, the offending row or a quoted value", () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger({ level: 'info' }, { name: 'patient-rpc', destination });
    // As PGlite and pg raise them: parameters, the row, a quoted value, a wrapped cause.
    const pglite = Object.assign(new Error('insert or update on table "patients" violates check constraint'), {
      code: '23514',
      query: 'INSERT INTO patients (given_name, birth_date) VALUES ($1, $2)',
      params: ['Grace', '1906-12-09'],
      detail: 'Failing row contains (Grace, 1906-12-09).',
      table: 'patients',
      constraint: 'patients_given_name_check',
    });
    const dataException = Object.assign(new Error('invalid input syntax for type date: "1906-13-09"'), {
      code: '22007',
    });
    logger.error({ err: new Error('create failed', { cause: pglite }) }, 'unexpected error in handler');
    logger.error({ err: dataException }, 'unexpected error in handler');
    const text = lines.join('');
    for (const secret of ['Grace', '1906-12-09', '1906-13-09', 'Failing row']) expect(text).not.toContain(secret);
    const [first, second] = lines.map((l) => JSON.parse(l) as { err: Record<string, unknown> });
    expect(first!.err).toMatchObject({
      message: 'create failed',
      cause: { code: '23514', table: 'patients', constraint: 'patients_given_name_check' },
    });
    expect(second!.err).toMatchObject({ code: '22007', message: 'data exception 22007' });
  });
});
