import { ConfigError } from '@patient-mesh/runtime';
import { createPgDb, type PgDbOptions } from './createPgDb.js';
import type { Db } from './Db.js';

/**
 * createPgDb checked with a first connection, so that TLS settings the server does not
 * accept fail startup with a ConfigError naming the key to fix, not the first call.
 * Other failures (server unreachable, authentication) are thrown as they are.
 */
export async function openPgDb(options: Required<PgDbOptions>): Promise<Db> {
  const db = createPgDb(options);
  try {
    await db.query('SELECT 1');
  } catch (error) {
    await db.close();
    throw tlsConfigError(error, options) ?? error;
  }
  return db;
}

/** Node's codes for a certificate chain that does not verify (OpenSSL's X509_V_ERR_* names). */
const CHAIN_ERROR =
  /^(UNABLE_TO_|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_|INVALID_CA|INVALID_PURPOSE)/;

function tlsConfigError(error: unknown, { url, tls }: Required<PgDbOptions>): ConfigError | undefined {
  const { code = '', message = '' } = error as { code?: string; message?: string };
  // The URL carries the password: only its host goes into the message.
  const server = `the PostgreSQL server at ${URL.parse(url)?.host ?? '(unparsable URL)'}`;
  // Node appends a hint about --use-system-ca, which is not the fix here.
  const detail = `${code}: ${message.split(';')[0]}`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return new ConfigError('database.url', server, `its certificate does not name the host of the URL (${detail})`);
  if (CHAIN_ERROR.test(code))
    return new ConfigError(
      'database.tls.caFile',
      tls.caFile,
      `the certificate of ${server} does not verify against this CA bundle (${detail})`,
    );
  // pg's own errors carry no code.
  if (message === 'The server does not support SSL connections')
    return new ConfigError('database.tls.mode', server, 'verify-full, but the server does not offer TLS (ssl = off)');
  if (code === '28000' && message.endsWith('no encryption'))
    return new ConfigError(
      'database.tls.mode',
      server,
      `the server refuses unencrypted connections: set verify-full and caFile (${message})`,
    );
  return undefined;
}
