const brand = Symbol.for('patient-mesh.StoreFailure');

/**
 * What stopped the store, as its callers need to know it (sqlState.ts decides which driver
 * errors are which):
 * - `statement_cancelled`: the statement was cancelled (the call's deadline, or the
 *   statement timeout);
 * - `store_unavailable`: the database is not there to answer (restart, crash, failover);
 * - `storage_full`: out of disk space;
 * - `storage_resources`: out of other resources (memory, connections, ...).
 * The last three are the server's condition, not the request's fault.
 */
export type StoreCondition = 'statement_cancelled' | 'store_unavailable' | 'storage_full' | 'storage_resources';

/** A store operation that failed for a reason of the store's own; `cause` is the driver's error. */
export class StoreFailure extends Error {
  readonly [brand] = true;
  override readonly name = 'StoreFailure';

  constructor(
    readonly condition: StoreCondition,
    message: string,
    options: { cause: unknown },
  ) {
    super(message, options);
  }
}

export const isStoreFailure = (e: unknown): e is StoreFailure => typeof e === 'object' && e !== null && brand in e;
