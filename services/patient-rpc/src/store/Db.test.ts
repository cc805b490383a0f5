import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable, isInsufficientResources } from './Db.js';

const pgError = (code: string) => Object.assign(new Error(`pg ${code}`), { code });

describe('store failures', () => {
  it('a server restarting, crashed, starting or unreachable is unavailable', () => {
    for (const code of ['57P01', '57P02', '57P03', '08006', '08001', '25006', 'ECONNREFUSED', 'ECONNRESET'])
      expect(isDatabaseUnavailable(pgError(code)), code).toBe(true);
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDatabaseUnavailable(new Error('Client has encountered a connection error and is not queryable'))).toBe(
      true,
    );
  });

  it("a statement's own failure is not", () => {
    for (const code of ['23505', '57014', '42P01', '53100'])
      expect(isDatabaseUnavailable(pgError(code)), code).toBe(false);
    expect(isDatabaseUnavailable(new Error('boom'))).toBe(false);
  });

  it('class 53 is insufficient resources (53100 disk full)', () => {
    expect(isInsufficientResources(pgError('53100'))).toBe(true);
    expect(isInsufficientResources(pgError('53300'))).toBe(true);
    expect(isInsufficientResources(pgError('23505'))).toBe(false);
  });
});
