import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFromStdin } from 'pg-copy-streams';
import type { Db, Queryable } from './Db.js';
import { pgSsl, type PgTlsOptions } from './pgSsl.js';

export interface PgDbOptions {
  /** Without TLS parameters (sslmode, ...): pg would let them replace `tls` entirely. */
  url: string;
  poolMax: number;
  statementTimeoutMs: number;
  /** Default: plaintext. */
  tls?: PgTlsOptions;
}

/** Distinct statements prepared per connection at most (the rest run unnamed). */
const MAX_PREPARED = 512;

/** PostgreSQL through a `pg` pool. */
export function createPgDb({ url, poolMax, statementTimeoutMs, tls }: PgDbOptions): Db {
  const connection: pg.ClientConfig = {
    connectionString: url,
    ssl: tls ? pgSsl(tls) : false,
    statement_timeout: statementTimeoutMs,
    connectionTimeoutMillis: 5000,
  };
  const pool = new pg.Pool({ ...connection, max: poolMax, idleTimeoutMillis: 30_000 });
  // An idle client's error (server restart) must not crash the process; the pool drops it.
  pool.on('error', () => {});
  // Nor a checked-out client's between its statements (a restart terminates every backend
  // with 57P01; pg emits it as 'error', fatal without a listener): the client is no longer
  // queryable, its next statement fails and the pool discards it on release.
  pool.on('connect', (client) => client.on('error', () => {}));
  // Parameterised statements are prepared once per connection (named): later executions
  // skip PostgreSQL's parse and plan. Bounded, since a name lives as long as its connection.
  const names = new Map<string, string>();
  const statement = (text: string, params?: readonly unknown[]): pg.QueryConfig => {
    const values = params as unknown[] | undefined;
    if (!values || values.length === 0) return { text, values };
    let name = names.get(text);
    if (name === undefined && names.size < MAX_PREPARED) names.set(text, (name = `pm_${names.size}`));
    return name === undefined ? { text, values } : { name, text, values };
  };
  const run = async <R>(client: pg.PoolClient, text: string, params?: readonly unknown[]) =>
    (await client.query(statement(text, params))).rows as R[];

  /**
   * Runs `fn` on a pooled client. A statement the server refused (a constraint, a cancel,
   * a timeout: pg.DatabaseError) leaves the connection usable, so it goes back to the pool;
   * only a broken connection is discarded. (pg's own `pool.query` discards the client on
   * any error, so every refused statement would cost a new connection and TLS handshake.)
   */
  const withClient = async <T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    try {
      const result = await fn(client);
      client.release();
      return result;
    } catch (error) {
      client.release(error instanceof pg.DatabaseError ? undefined : error instanceof Error ? error : true);
      throw error;
    }
  };

  /**
   * Runs on its own client so an abort can cancel exactly this statement. The cancel goes
   * over a connection of its own, not the pool: a cancel that waited for a pooled client
   * would run after the statement ended, on a backend already running someone else's (or,
   * on the same client, cancel itself).
   */
  const cancellable = <R>(text: string, params: readonly unknown[] | undefined, signal: AbortSignal) => {
    signal.throwIfAborted();
    return withClient(async (client) => {
      let running = true;
      const cancel = () => {
        const canceller = new pg.Client(connection);
        canceller.on('error', () => {});
        const pid = (client as unknown as { processID: number }).processID;
        void canceller
          .connect()
          .then(() => (running ? canceller.query('SELECT pg_cancel_backend($1)', [pid]) : undefined))
          .catch(() => {})
          .finally(() => void canceller.end().catch(() => {}));
      };
      signal.addEventListener('abort', cancel, { once: true });
      try {
        return await run<R>(client, text, params);
      } finally {
        running = false;
        signal.removeEventListener('abort', cancel);
      }
    });
  };

  return {
    kind: 'postgres',
    query: (text, params, options) =>
      options?.signal ? cancellable(text, params, options.signal) : withClient((client) => run(client, text, params)),
    async transaction(fn) {
      const client = await pool.connect();
      const tx: Queryable = { query: (text, params) => run(client, text, params) };
      try {
        await client.query('BEGIN');
        const result = await fn(tx);
        await client.query('COMMIT');
        client.release();
        return result;
      } catch (error) {
        // Whatever failed, a connection that can still roll back is fine to reuse.
        let broken: Error | undefined;
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        });
        client.release(broken);
        throw error;
      }
    },
    async copyFrom(table, columns, rows) {
      const client = await pool.connect();
      try {
        await pipeline(
          Readable.from([rows]),
          client.query(copyFromStdin(`COPY ${table} (${columns.join(', ')}) FROM STDIN`)),
        );
      } catch (error) {
        // A connection whose COPY failed midway is not reused.
        client.release(error instanceof Error ? error : true);
        throw error;
      }
      client.release();
    },
    async ping() {
      try {
        await pool.query('SELECT 1');
        return true;
      } catch {
        return false;
      }
    },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: () => pool.end(),
  };
}
