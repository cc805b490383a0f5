import { StoreFailure } from './StoreFailure.js';

// The one place that reads PostgreSQL's error codes (SQLSTATE; PGlite reports the same
// ones): what a driver error means for the store's callers. Nothing above the store sees a
// code — repositories turn constraint violations into domain errors (Conflict, NotFound),
// withStoreFailures() turns the store's own conditions into StoreFailure.

/** PostgreSQL error codes the store maps to domain outcomes. */
export const PG_UNIQUE_VIOLATION = '23505';
export const PG_FOREIGN_KEY_VIOLATION = '23503';
export const PG_QUERY_CANCELED = '57014';
export const PG_DISK_FULL = '53100';

export const pgErrorCode = (e: unknown): string | undefined =>
  typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined;

/** A row with this key exists already (a unique constraint). */
export const isUniqueViolation = (e: unknown): boolean => pgErrorCode(e) === PG_UNIQUE_VIOLATION;

/** The row refers to one that does not exist (a foreign key). */
export const isForeignKeyViolation = (e: unknown): boolean => pgErrorCode(e) === PG_FOREIGN_KEY_VIOLATION;

/** SQLSTATE class 53, insufficient resources: disk_full, out_of_memory, too_many_connections, ... */
export const isInsufficientResources = (e: unknown): boolean => pgErrorCode(e)?.startsWith('53') === true;

/** Server states in which it refuses work until it is back: shutting down, crashed, starting, recovering. */
const SERVER_GONE = new Set(['57P01', '57P02', '57P03', '25006']);
/** Socket errors of a connection to a server that went away or cannot be reached. */
const SOCKET_GONE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * The database is not there to answer (restart, crash, failover, network): connection
 * exceptions (class 08), admin/crash shutdown and startup (57P01-57P03), a read-only
 * standby (25006), a failed socket, or pg's own errors of a connection that ended or never
 * opened (those carry no code).
 */
export function isDatabaseUnavailable(e: unknown): boolean {
  const code = pgErrorCode(e);
  if (code !== undefined) return code.startsWith('08') || SERVER_GONE.has(code) || SOCKET_GONE.has(code);
  return (
    e instanceof Error &&
    /^(Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error)/i.test(
      e.message,
    )
  );
}

/**
 * The store's condition behind a driver error, or undefined when the error is the
 * statement's own (a constraint, bad SQL: the caller's to interpret or to report).
 */
export function storeFailureOf(error: unknown): StoreFailure | undefined {
  const code = pgErrorCode(error);
  const failure = (condition: StoreFailure['condition'], message: string) =>
    new StoreFailure(condition, message, { cause: error });
  if (code === PG_QUERY_CANCELED) return failure('statement_cancelled', 'database statement cancelled');
  if (code === PG_DISK_FULL) return failure('storage_full', 'the store is out of disk space');
  if (isInsufficientResources(error))
    return failure('storage_resources', `the store is out of resources (SQLSTATE ${code})`);
  if (isDatabaseUnavailable(error)) return failure('store_unavailable', 'the store is unavailable');
  return undefined;
}
