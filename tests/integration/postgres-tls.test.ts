// TLS to PostgreSQL: patient-rpc with database.tls.mode verify-full against a server that
// accepts TLS only (hostssl). The right CA connects, migrates and serves over an encrypted
// connection; a wrong CA, a host the certificate does not name, a server without TLS,
// plaintext to this server and TLS settings in the URL each fail startup with exit 78 and
// the key to fix.
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createAuthority, issue, type Authority } from '../../scripts/lib/pki.ts';
import { createPgDb } from '../../services/patient-rpc/src/store/createPgDb.ts';
import { startPostgres, type PostgresServer } from '../support/postgres.ts';
import { rpcEnv, startService, type ServiceProcess } from '../support/services.ts';
import { createTestKeys } from '../support/tokens.ts';

describe('patient-rpc to PostgreSQL over TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-pg-tls-'));
  const caFile = join(dir, 'ca.crt');
  const otherCaFile = join(dir, 'other-ca.crt');
  let ca: Authority;
  let postgres: PostgresServer;
  let admin: pg.Client;
  let jwksFile: string;
  let rpc: ServiceProcess | undefined;

  beforeAll(async () => {
    ca = await createAuthority('postgres-ca');
    writeFileSync(caFile, ca.certPem);
    writeFileSync(otherCaFile, (await createAuthority('other-ca')).certPem);
    const server = await issue(ca, { commonName: 'postgres', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    // Also on 127.0.0.2, an address the certificate does not name.
    postgres = await startPostgres({ listen_addresses: '127.0.0.1,127.0.0.2' }, { tls: server });
    admin = new pg.Client({ connectionString: postgres.url, ssl: { ca: ca.certPem } });
    await admin.connect();
    ({ jwksFile } = await createTestKeys());
  });
  afterAll(async () => {
    await rpc?.stop();
    await admin?.end();
    await postgres?.stop();
  });

  /** The TLS server's URL for database `name` (created unless it is `postgres`), at `host`. */
  async function urlOf(name: string, host = '127.0.0.1'): Promise<string> {
    if (name !== 'postgres') await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(postgres.url);
    url.hostname = host;
    url.pathname = `/${name}`;
    return url.toString();
  }

  const env = (extra: Record<string, string>) =>
    rpcEnv(jwksFile, { PM_DATABASE__TLS__MODE: 'verify-full', PM_DATABASE__TLS__CA_FILE: caFile, ...extra });

  /** Starts patient-rpc expecting a config error: exit 78 and a one-line reason (no stack trace). */
  async function failedStart(extra: Record<string, string>): Promise<string> {
    const failing = await startService('patient-rpc', { env: env(extra), waitListening: false });
    // `close` comes after the exit and the end of stdout and stderr: no output is missed.
    const [code] = (await once(failing.child, 'close')) as [number | null];
    const stderr = failing.stderr();
    expect({ code, stderr }).toEqual({
      code: 78,
      stderr: expect.stringMatching(/^patient-rpc: invalid config: [^\n]+\n$/),
    });
    return stderr;
  }

  it('the server refuses a plaintext client, so a connection that works is TLS', async () => {
    const plain = new pg.Client({ connectionString: postgres.url, ssl: false });
    await expect(plain.connect()).rejects.toMatchObject({
      code: '28000',
      message: expect.stringMatching(/no encryption$/),
    });
  });

  it('verify-full with the server’s CA connects, migrates and serves over an encrypted connection', async () => {
    const url = await urlOf('tls_ok');
    rpc = await startService('patient-rpc', { env: env({ PM_DATABASE__URL: url }) });
    expect((await fetch(`http://127.0.0.1:${rpc.ports.admin}/readyz`)).status).toBe(200);
    // Seen from the server: the service's connections (the readiness check's stays in the pool).
    const { rows } = await admin.query<{ ssl: boolean }>(
      'SELECT s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.datname = $1',
      ['tls_ok'],
    );
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.ssl)).toBe(true);
    const migrated = new pg.Client({ connectionString: url, ssl: { ca: ca.certPem } });
    await migrated.connect();
    const { rowCount } = await migrated.query('SELECT version FROM schema_migrations').finally(() => migrated.end());
    expect(rowCount).toBeGreaterThan(0);
  });

  it('a certificate that does not chain to caFile fails startup naming database.tls.caFile and the file', async () => {
    const stderr = await failedStart({
      PM_DATABASE__URL: await urlOf('postgres'),
      PM_DATABASE__TLS__CA_FILE: otherCaFile,
    });
    expect(stderr).toContain(`database.tls.caFile (from ${otherCaFile})`);
    expect(stderr).toContain('does not verify against this CA bundle');
  });

  it('a URL host the certificate does not name fails startup naming database.url', async () => {
    const stderr = await failedStart({ PM_DATABASE__URL: await urlOf('postgres', '127.0.0.2') });
    expect(stderr).toContain('database.url (from the PostgreSQL server at 127.0.0.2:');
    expect(stderr).toContain("IP: 127.0.0.2 is not in the cert's list");
  });

  it('a server without TLS fails startup naming database.tls.mode', async () => {
    // The suite's shared server runs without ssl.
    const stderr = await failedStart({ PM_DATABASE__URL: inject('postgresUrl') });
    expect(stderr).toContain('database.tls.mode');
    expect(stderr).toContain('the server does not offer TLS');
  });

  it('mode disable against this server fails startup naming database.tls.mode', async () => {
    const stderr = await failedStart({ PM_DATABASE__URL: await urlOf('postgres'), PM_DATABASE__TLS__MODE: 'disable' });
    expect(stderr).toContain('database.tls.mode');
    expect(stderr).toContain('the server refuses unencrypted connections');
  });

  it('mode disable in production is refused by the config, naming database.tls.mode', async () => {
    const stderr = await failedStart({
      PM_SERVICE__ENVIRONMENT: 'production',
      PM_DATABASE__URL: await urlOf('postgres'),
      PM_DATABASE__TLS__MODE: 'disable',
    });
    expect(stderr).toContain('database.tls.mode (from environment variable PM_DATABASE__TLS__MODE)');
    expect(stderr).toContain('refused in production');
  });

  it('TLS settings in the URL, which would replace database.tls, are refused naming database.url', async () => {
    const stderr = await failedStart({ PM_DATABASE__URL: `${await urlOf('postgres')}?sslmode=disable` });
    expect(stderr).toContain('database.url (from environment variable PM_DATABASE__URL)');
    expect(stderr).toContain('override database.tls');
  });

  it('reads caFile again for each new connection: a rotated bundle applies without a restart', async () => {
    const rotating = join(dir, 'rotating-ca.crt');
    writeFileSync(rotating, (await createAuthority('old-ca')).certPem);
    const db = createPgDb({
      url: await urlOf('postgres'),
      poolMax: 1,
      statementTimeoutMs: 5000,
      tls: { mode: 'verify-full', caFile: rotating, certFile: '', keyFile: '' },
    });
    try {
      expect(await db.ping()).toBe(false);
      writeFileSync(rotating, ca.certPem);
      expect(await db.ping()).toBe(true);
    } finally {
      await db.close();
    }
  });
});
