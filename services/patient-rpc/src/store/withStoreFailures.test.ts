import { describe, expect, it } from 'vitest';
import type { Db } from './Db.js';
import { isStoreFailure } from './StoreFailure.js';
import { withStoreFailures } from './withStoreFailures.js';

const pgError = (code: string) => Object.assign(new Error(`pg ${code}`), { code });

/** A Db whose every operation fails with `error`, and whose transaction runs its callback first. */
function failingDb(error: unknown, seen: unknown[] = []): Db {
  const fail = () => Promise.reject(error);
  return {
    kind: 'postgres',
    query: fail,
    async transaction(fn) {
      try {
        return await fn({ query: fail });
      } catch (inner) {
        seen.push(inner);
        throw inner;
      }
    },
    copyFrom: fail,
    ping: async () => false,
    poolStats: () => ({ total: 0, idle: 0, waiting: 0 }),
    close: async () => {},
  };
}

describe('withStoreFailures', () => {
  it("throws the store's own conditions as StoreFailure, from every operation", async () => {
    const disk = pgError('53100');
    const db = withStoreFailures(failingDb(disk));
    for (const run of [
      () => db.query('SELECT 1'),
      () => db.transaction((tx) => tx.query('SELECT 1')),
      () => db.copyFrom('t', ['a'], new Uint8Array()),
    ]) {
      const error = await run().catch((e: unknown) => e);
      expect(isStoreFailure(error) && { condition: error.condition, cause: error.cause }).toEqual({
        condition: 'storage_full',
        cause: disk,
      });
    }
  });

  it("lets the statement's own errors through for the repository, inside a transaction as well", async () => {
    const unique = pgError('23505');
    const seen: unknown[] = [];
    const db = withStoreFailures(failingDb(unique, seen));
    await expect(db.query('INSERT')).rejects.toBe(unique);
    await expect(db.transaction((tx) => tx.query('INSERT'))).rejects.toBe(unique);
    expect(seen).toEqual([unique]);
  });

  it('a cancelled statement inside a transaction is seen raw there and as StoreFailure outside', async () => {
    const seen: unknown[] = [];
    const db = withStoreFailures(failingDb(pgError('57014'), seen));
    await expect(db.transaction((tx) => tx.query('SELECT'))).rejects.toMatchObject({
      name: 'StoreFailure',
      condition: 'statement_cancelled',
    });
    expect(seen).toEqual([expect.objectContaining({ code: '57014' })]);
  });
});
