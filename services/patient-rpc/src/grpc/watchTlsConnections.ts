import { tracingChannel } from 'node:diagnostics_channel';
import type { Http2SecureServer } from 'node:http2';
import type { AddressInfo, Server } from 'node:net';
import type { TLSSocket } from 'node:tls';

/** The labels of tls_handshake_failures_total. */
export const HANDSHAKE_FAILURE_REASONS = ['no_certificate', 'untrusted_certificate', 'not_tls', 'other'] as const;
export type HandshakeFailureReason = (typeof HANDSHAKE_FAILURE_REASONS)[number];

const NOT_TLS = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_HTTP_REQUEST', 'ERR_SSL_HTTPS_PROXY_REQUEST']);

/**
 * What a server-side handshake error means for the operator. A client certificate that
 * does not verify ends the handshake without an error of its own: Node records the verify
 * error (UNABLE_TO_GET_ISSUER_CERT_LOCALLY, CERT_HAS_EXPIRED, …) as the socket's
 * `authorizationError`, destroys it, and reports a plain "socket hang up".
 */
export function handshakeFailureReason(
  error: NodeJS.ErrnoException,
  socket?: Pick<TLSSocket, 'authorizationError'>,
): HandshakeFailureReason {
  if (socket?.authorizationError) return 'untrusted_certificate';
  const code = error.code ?? '';
  if (code === 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE') return 'no_certificate';
  if (NOT_TLS.has(code)) return 'not_tls';
  return 'other';
}

export interface TlsConnectionObserver {
  /** A handshake refused: no client certificate, an untrusted one, not TLS. */
  onFailure(reason: HandshakeFailureReason): void;
  /** A connection whose client certificate verified. */
  onPeer(socket: TLSSocket): void;
}

/**
 * Runs `bind` (grpc-js's bindAsync) and reports every TLS handshake on the server it
 * creates. grpc-js neither exposes its HTTP/2 servers nor counts refused handshakes, so a
 * client without a certificate, with one of another CA, or speaking plaintext would be
 * invisible. Node publishes each server that starts listening on the
 * `tracing:net.server.listen` channel; the secure servers that start while `bind` runs and
 * listen on the bound port are grpc-js's, and their `tlsClientError` and `secureConnection`
 * events are reported.
 */
export async function watchTlsConnections(
  bind: () => Promise<number>,
  observer: TlsConnectionObserver,
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
    const secure = server as Http2SecureServer;
    secure.on('tlsClientError', (error: NodeJS.ErrnoException, socket: TLSSocket) =>
      observer.onFailure(handshakeFailureReason(error, socket)),
    );
    secure.on('secureConnection', (socket: TLSSocket) => {
      if (socket.authorized) observer.onPeer(socket);
    });
  }
  return port;
}
