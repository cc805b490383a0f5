import type { Db, QueryOptions, Queryable } from './Db.js';
import { isStoreFailure } from './StoreFailure.js';
import { storeFailureOf } from './sqlState.js';

/**
 * The service's store: `db` whose failures of the store's own (a cancelled statement, the
 * database gone, out of space or resources) are thrown as StoreFailure, the driver's error
 * as its cause. Any other error (a constraint, LeaseLost, an abort) goes up as it is, for
 * the repository that ran the statement to interpret. Inside a transaction the callback
 * still sees the driver's errors; the transaction as a whole is translated.
 */
export function withStoreFailures(db: Db): Db {
  const translate = (error: unknown): never => {
    throw (isStoreFailure(error) ? undefined : storeFailureOf(error)) ?? error;
  };
  return {
    kind: db.kind,
    query: <R>(text: string, params?: readonly unknown[], options?: QueryOptions) =>
      db.query<R>(text, params, options).catch(translate),
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) => db.transaction(fn).catch(translate),
    copyFrom: (table, columns, rows) => db.copyFrom(table, columns, rows).catch(translate),
    ping: () => db.ping(),
    poolStats: () => db.poolStats(),
    close: () => db.close(),
  };
}
