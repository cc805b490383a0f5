import { ConfigError } from '@patient-mesh/runtime';
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';

/** TLS to PostgreSQL (the `database.tls` config slice). */
export interface PgTlsOptions {
  /** `verify-full`: the server's certificate must chain to `caFile` and name the URL's host. */
  mode: 'disable' | 'verify-full';
  /** PEM CA bundle; required for verify-full. */
  caFile: string;
  /** Client certificate and key (PostgreSQL certificate authentication); both or neither. */
  certFile: string;
  keyFile: string;
}

/**
 * pg's `ssl` option for `tls`. With verify-full the chain is checked against the CA bundle
 * (`rejectUnauthorized`), and pg hands tls.connect the URL's host, which Node's default
 * checkServerIdentity compares with the certificate's DNS and IP names. No `servername` here:
 * pg sets it for a DNS name itself, and an IP address must not be sent as SNI (RFC 6066).
 *
 * The files are read now (an unreadable file is a ConfigError) and again for every new
 * connection: pg copies this object into tls.connect's options per connection, which calls
 * the getters. So a rotated CA bundle or client certificate applies to the connections
 * opened after it, without a restart; open connections keep the handshake they made.
 *
 * `disable` gives `false` rather than nothing, or pg would honour PGSSLMODE from the
 * environment: database.tls stays the one source.
 */
export function pgSsl(tls: PgTlsOptions): false | ConnectionOptions {
  if (tls.mode === 'disable') return false;
  const ca = currentContent('database.tls.caFile', tls.caFile);
  const cert = tls.certFile ? currentContent('database.tls.certFile', tls.certFile) : undefined;
  const key = tls.keyFile ? currentContent('database.tls.keyFile', tls.keyFile) : undefined;
  return {
    rejectUnauthorized: true,
    get ca() {
      return ca();
    },
    get cert() {
      return cert?.();
    },
    get key() {
      return key?.();
    },
  };
}

/**
 * Reads `file` once, as a ConfigError naming `key` if it cannot, and returns a reader of its
 * current content. A later read that fails (the file replaced mid-rotation) keeps the last
 * content: a getter that throws would escape pg's connection handler and end the process.
 */
function currentContent(key: string, file: string): () => string {
  let last: string;
  try {
    last = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(key, file, `cannot read file: ${(error as Error).message}`);
  }
  return () => {
    try {
      last = readFileSync(file, 'utf8');
    } catch {
      // keep the last content read
    }
    return last;
  };
}
