import { describe, expect, it } from 'vitest';
import {
  isDatabaseUnavailable,
  isForeignKeyViolation,
  isInsufficientResources,
  isUniqueViolation,
  storeFailureOf,
} from './sqlState.js';

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

describe('SQLSTATE → store outcome', () => {
  // Every driver error the service meets, and what the store makes of it.
  const TABLE: Array<[string, unknown, { condition: string; message: string } | undefined]> = [
    [
      '57014 query_canceled',
      pgError('57014'),
      { condition: 'statement_cancelled', message: 'database statement cancelled' },
    ],
    ['53100 disk_full', pgError('53100'), { condition: 'storage_full', message: 'the store is out of disk space' }],
    [
      '53200 out_of_memory',
      pgError('53200'),
      { condition: 'storage_resources', message: 'the store is out of resources (SQLSTATE 53200)' },
    ],
    [
      '53300 too_many_connections',
      pgError('53300'),
      { condition: 'storage_resources', message: 'the store is out of resources (SQLSTATE 53300)' },
    ],
    ['57P01 admin_shutdown', pgError('57P01'), { condition: 'store_unavailable', message: 'the store is unavailable' }],
    ['57P02 crash_shutdown', pgError('57P02'), { condition: 'store_unavailable', message: 'the store is unavailable' }],
    [
      '57P03 cannot_connect_now',
      pgError('57P03'),
      { condition: 'store_unavailable', message: 'the store is unavailable' },
    ],
    [
      '08006 connection_failure',
      pgError('08006'),
      { condition: 'store_unavailable', message: 'the store is unavailable' },
    ],
    [
      '25006 read_only (standby)',
      pgError('25006'),
      { condition: 'store_unavailable', message: 'the store is unavailable' },
    ],
    ['ECONNREFUSED', pgError('ECONNREFUSED'), { condition: 'store_unavailable', message: 'the store is unavailable' }],
    [
      'pg: connection terminated',
      new Error('Connection terminated unexpectedly'),
      { condition: 'store_unavailable', message: 'the store is unavailable' },
    ],
    ['23505 unique_violation (the caller interprets it)', pgError('23505'), undefined],
    ['23503 foreign_key_violation (the caller interprets it)', pgError('23503'), undefined],
    ['42P01 undefined_table', pgError('42P01'), undefined],
    ['a plain error', new Error('boom'), undefined],
    ['not an error', 'boom', undefined],
  ];

  it.each(TABLE)('%s', (_name, error, expected) => {
    const failure = storeFailureOf(error);
    if (expected === undefined) return expect(failure).toBeUndefined();
    expect(failure).toMatchObject({ name: 'StoreFailure', ...expected });
    expect(failure!.cause).toBe(error);
  });

  it('reads constraint violations for the repositories', () => {
    expect([isUniqueViolation(pgError('23505')), isUniqueViolation(pgError('23503'))]).toEqual([true, false]);
    expect([isForeignKeyViolation(pgError('23503')), isForeignKeyViolation(pgError('23505'))]).toEqual([true, false]);
    expect(isUniqueViolation(new Error('23505'))).toBe(false);
  });
});
