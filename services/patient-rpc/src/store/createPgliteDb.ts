import { PGlite } from '@electric-sql/pglite';
import { mkdirSync } from 'node:fs';
import type { Db } from './Db.js';

export interface PgliteDbOptions {
  /** Data directory, or `memory://` for a throwaway database. */
  dataDir: string;
}

/** Embedded PostgreSQL (WASM): same SQL and migrations, no server to run. */
export async function createPgliteDb({ dataDir }: PgliteDbOptions): Promise<Db> {
  if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir);
  let waiting = 0;
  return {
    kind: 'pglite',
    // PGlite runs statements in this process one at a time: a cancelled call stops before
    // its statement starts rather than during it.
    query: async (text, params, options) => {
      options?.signal?.throwIfAborted();
      return (await db.query(text, params as unknown[])).rows as never[];
    },
    async transaction(fn) {
      waiting += 1;
      try {
        return await db.transaction((tx) =>
          fn({ query: async (text, params) => (await tx.query(text, params as unknown[])).rows as never[] }),
        );
      } finally {
        waiting -= 1;
      }
    },
    async copyFrom(table, columns, rows) {
      await db.query(`COPY ${table} (${columns.join(', ')}) FROM '/dev/blob'`, [], { blob: new Blob([rows]) });
    },
    async ping() {
      try {
        await db.query('SELECT 1');
        return true;
      } catch {
        return false;
      }
    },
    poolStats: () => ({ total: 1, idle: waiting === 0 ? 1 : 0, waiting: Math.max(0, waiting - 1) }),
    close: () => db.close(),
  };
}
