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
  const pool = new pg.Pool({
    connectionString: url,
    ssl: tls ? pgSsl(tls) : false,
    max: poolMax,
    statement_timeout: statementTimeoutMs,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client's error (server restart) must not crash the process; the pool drops it.
  pool.on('error', () => {});
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
  const run = async <R>(q: pg.Pool | pg.PoolClient, text: string, params?: readonly unknown[]) =>
    (await q.query(statement(text, params))).rows as R[];

  /** Runs on a dedicated client so an abort can cancel exactly this statement. */
  const cancellable = async <R>(text: string, params: readonly unknown[] | undefined, signal: AbortSignal) => {
    signal.throwIfAborted();
    const client = await pool.connect();
    const cancel = () =>
      void pool
        .query('SELECT pg_cancel_backend($1)', [(client as unknown as { processID: number }).processID])
        .catch(() => {});
    signal.addEventListener('abort', cancel, { once: true });
    try {
      return await run<R>(client, text, params);
    } finally {
      signal.removeEventListener('abort', cancel);
      client.release();
    }
  };

  return {
    kind: 'postgres',
    query: (text, params, options) =>
      options?.signal ? cancellable(text, params, options.signal) : run(pool, text, params),
    async transaction(fn) {
      const client = await pool.connect();
      const tx: Queryable = { query: (text, params) => run(client, text, params) };
      try {
        await client.query('BEGIN');
        const result = await fn(tx);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
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
