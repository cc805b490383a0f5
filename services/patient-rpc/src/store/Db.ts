/** Per-query options. */
export interface QueryOptions {
  /**
   * Aborting cancels the statement on the server (pg_cancel_backend) — a call's deadline
   * or cancellation stops its database work instead of letting it run on.
   */
  signal?: AbortSignal;
}

/** What a query runs on: the database, or one transaction of it. */
export interface Queryable {
  query<R = Record<string, unknown>>(text: string, params?: readonly unknown[], options?: QueryOptions): Promise<R[]>;
}

/** The store's database, PostgreSQL (pg pool) or embedded PGlite, behind one surface. */
export interface Db extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs `fn` in one transaction on one connection; rolls back if it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Bulk-loads rows into `table` with COPY: `rows` is COPY text format in UTF-8 (tab-separated
   * columns in `columns` order, `\N` for NULL, one row per line; see copyText).
   */
  copyFrom(table: string, columns: readonly string[], rows: Uint8Array): Promise<void>;
  /** True when a trivial query answers. */
  ping(): Promise<boolean>;
  /** Connections in use and waiting, for metrics (PGlite: one connection). */
  poolStats(): { total: number; idle: number; waiting: number };
  close(): Promise<void>;
}

/** PostgreSQL error codes the store maps to domain outcomes. */
export const PG_UNIQUE_VIOLATION = '23505';
export const PG_FOREIGN_KEY_VIOLATION = '23503';
export const PG_QUERY_CANCELED = '57014';
export const PG_DISK_FULL = '53100';

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

export const pgErrorCode = (e: unknown): string | undefined =>
  typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined;

/** One value in COPY text format: NULL as `\N`, backslash and line/column separators escaped. */
export function copyText(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'number') return String(value);
  return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]!) : value;
}
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
