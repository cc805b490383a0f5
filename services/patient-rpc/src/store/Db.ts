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

/**
 * The store's database, PostgreSQL (pg pool) or embedded PGlite, behind one surface. Its
 * errors are the driver's; withStoreFailures() gives the service's callers StoreFailure for
 * the store's own conditions, and sqlState.ts is what reads the driver's codes.
 */
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

/** One value in COPY text format: NULL as `\N`, backslash and line/column separators escaped. */
export function copyText(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'number') return String(value);
  return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]!) : value;
}
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
