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
});
