import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { Counter, type Registry } from 'prom-client';

/** Why a connection or request was refused before express saw it. */
const REASONS = ['connection_limit', 'malformed_request', 'headers_too_large', 'request_timeout'] as const;
type Reason = (typeof REASONS)[number];

/** Node's HTTP parser errors, as the client is told. */
const PARSE_ERRORS: Record<string, { status: number; reason: Reason; detail: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    reason: 'headers_too_large',
    detail: 'the request line and headers are too large',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    reason: 'request_timeout',
    detail: 'the request headers did not arrive in time',
  },
  HPE_HEADERS_TIMEOUT: { status: 408, reason: 'request_timeout', detail: 'the request headers did not arrive in time' },
};

/**
 * What the HTTP server does before express: at most `maxConnections` open connections
 * (beyond it Node closes new ones at once), and the requests Node's parser refuses (a
 * malformed request line, headers over the limit, headers too slow) answered as
 * problem+json like every other error, not as Node's bare status line. Both are counted in
 * `http_server_rejected_total{reason}`.
 */
export function guardServer(
  server: Server,
  { maxConnections, registry }: { maxConnections: number; registry: Registry },
): void {
  const rejected = new Counter({
    name: 'http_server_rejected_total',
    help: 'Connections and requests refused before routing, by reason.',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  for (const reason of REASONS) rejected.inc({ reason }, 0);

  server.maxConnections = maxConnections;
  server.on('drop', () => rejected.inc({ reason: 'connection_limit' }));
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // A response already under way, or a peer that went away: nothing can be said.
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent: boolean } })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const known = PARSE_ERRORS[error.code ?? ''];
    const { status, reason, detail } = known ?? {
      status: 400,
      reason: 'malformed_request' as const,
      detail: 'the request is not valid HTTP/1.1',
    };
    rejected.inc({ reason });
    const body = JSON.stringify({ type: 'about:blank', title: STATUS_CODES[status], status, detail, reason });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
