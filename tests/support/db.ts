// One PostgreSQL connection for the length of `fn`: for tests that read or tamper with a
// store behind the services' back.
import pg from 'pg';

export async function withDb<T>(url: string, fn: (db: pg.Client) => Promise<T>): Promise<T> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    return await fn(db);
  } finally {
    await db.end();
  }
}
