// PostgreSQL for benchmarks as production mode requires it: TLS with a certificate of the
// test mesh's CA, which patient-rpc verifies (verify-full). Setup clients stay plaintext.
import { issue } from '../../scripts/lib/pki.ts';
import { startPostgres, type PostgresServer } from '../../tests/support/postgres.ts';
import { testMesh } from '../../tests/support/services.ts';

export interface TlsPostgres {
  postgres: PostgresServer;
  /** patient-rpc's `database.tls` settings for this server. */
  rpcEnv: Record<string, string>;
}

export async function startTlsPostgres(settings: Record<string, string>): Promise<TlsPostgres> {
  const cert = await issue(testMesh.ca, {
    commonName: 'postgres',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
  });
  const postgres = await startPostgres(settings, { tls: { ...cert, allowPlaintext: true } });
  return {
    postgres,
    rpcEnv: { PM_DATABASE__TLS__MODE: 'verify-full', PM_DATABASE__TLS__CA_FILE: testMesh.rpc.caFile },
  };
}
