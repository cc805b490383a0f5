// patient-rpc's PostgreSQL pool on a real PostgreSQL 15: a statement the server refuses
// (a constraint, a timeout, a cancel) leaves its connection in the pool, so a conflict
// answered 409 or a deadline exceeded costs no reconnect and no TLS handshake; a connection
// the server dropped is replaced.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPgDb } from '../../services/patient-rpc/src/store/createPgDb.ts';
import type { Db } from '../../services/patient-rpc/src/store/Db.ts';
import { withDb } from '../support/db.ts';
import { createDatabase } from '../support/services.ts';

describe('pg pool connections (postgres)', () => {
  let url: string;
  let db: Db;
  const backend = async () => (await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'))[0]!.pid;

  beforeAll(async () => {
    url = await createDatabase(inject('postgresUrl'), `pg_db_${Date.now()}`);
    db = createPgDb({ url, poolMax: 1, statementTimeoutMs: 300 });
    await db.query('CREATE TABLE t (id int PRIMARY KEY)');
    await db.query('INSERT INTO t VALUES (1)');
  });
  afterAll(() => db.close());

  it('keeps the connection after a statement the server refused', async () => {
    const pid = await backend();
    await expect(db.query('INSERT INTO t VALUES ($1)', [1])).rejects.toMatchObject({ code: '23505' });
    await expect(db.query('SELECT pg_sleep(5)')).rejects.toMatchObject({ code: '57014' }); // statement_timeout
    const controller = new AbortController();
    // Settled into a value at once: the statement may fail before the assertion is reached,
    // and a rejection nobody handles yet is an unhandled rejection.
    const slow = db.query('SELECT pg_sleep(5), $1::int', [1], { signal: controller.signal }).then(
      () => 'completed',
      (error: unknown) => error,
    );
    await withDb(url, async (watcher) => {
      // Cancel once the statement is running, as a client that went away would.
      for (let i = 0; i < 200; i++) {
        const { rows } = await watcher.query(
          "SELECT 1 FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(5), $1%' AND state = 'active'",
        );
        if (rows.length > 0) break;
      }
      controller.abort();
    });
    expect(await slow).toMatchObject({ code: '57014' });
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO t VALUES (2)');
        throw new Error('the handler failed');
      }),
    ).rejects.toThrow('the handler failed');
    expect(await backend()).toBe(pid);
    expect(await db.query('SELECT id FROM t ORDER BY id')).toEqual([{ id: 1 }]); // rolled back
  });

  it('replaces a connection the server dropped', async () => {
    const pid = await backend();
    await withDb(url, (admin) => admin.query('SELECT pg_terminate_backend($1)', [pid]));
    await db.query('SELECT 1').catch(() => {}); // the pool may hand out the dead client once
    const next = await backend();
    expect(next).not.toBe(pid);
    expect(await db.query<{ n: number }>('SELECT 1 AS n')).toEqual([{ n: 1 }]);
  });
});
