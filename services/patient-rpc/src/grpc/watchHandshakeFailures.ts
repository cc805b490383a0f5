import { tracingChannel } from 'node:diagnostics_channel';
import type { Http2SecureServer } from 'node:http2';
import type { AddressInfo, Server } from 'node:net';
import type { TLSSocket } from 'node:tls';

/** A label of tls_handshake_failures_total. */
export type HandshakeFailureReason = 'no_certificate' | 'untrusted_certificate' | 'not_tls' | 'other';

const NOT_TLS = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_HTTP_REQUEST', 'ERR_SSL_HTTPS_PROXY_REQUEST']);

/** What a server-side handshake error means for the operator. */
export function handshakeFailureReason(error: NodeJS.ErrnoException): HandshakeFailureReason {
  const code = error.code ?? '';
  if (code === 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE') return 'no_certificate';
  if (NOT_TLS.has(code)) return 'not_tls';
  // OpenSSL's verify errors (UNABLE_TO_GET_ISSUER_CERT_LOCALLY, CERT_HAS_EXPIRED, …) and the
  // handshake failure they cause.
  if (/CERT|ISSUER|SIGNATURE|ERR_SSL_CERTIFICATE_VERIFY_FAILED/.test(code)) return 'untrusted_certificate';
  return 'other';
}

/**
 * Runs `bind` (grpc-js's bindAsync) and reports every failed TLS handshake on the server it
 * creates. grpc-js neither exposes its HTTP/2 servers nor counts refused handshakes, so a
 * client without a certificate, with one of another CA, or speaking plaintext would be
 * invisible. Node publishes each server that starts listening on the
 * `tracing:net.server.listen` channel; the secure servers that start while `bind` runs and
 * listen on the bound port are grpc-js's, and their `tlsClientError` events are reported.
 */
export async function watchHandshakeFailures(
  bind: () => Promise<number>,
  onFailure: (reason: HandshakeFailureReason) => void,
): Promise<number> {
  const channel = tracingChannel<unknown, { server: Server }>('net.server.listen');
  const started: Server[] = [];
  const ignore = () => {};
  const handlers = {
    start: ignore,
    end: ignore,
    asyncStart: ignore,
    error: ignore,
    asyncEnd: ({ server }: { server: Server }) => void started.push(server),
  };
  channel.subscribe(handlers);
  let port: number;
  try {
    port = await bind();
  } finally {
    channel.unsubscribe(handlers);
  }
  for (const server of started) {
    if ((server.address() as AddressInfo | null)?.port !== port || !('setSecureContext' in server)) continue;
    (server as Http2SecureServer).on('tlsClientError', (error: NodeJS.ErrnoException, _socket: TLSSocket) =>
      onFailure(handshakeFailureReason(error)),
    );
  }
  return port;
}
