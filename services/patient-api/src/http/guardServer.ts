import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { Counter, type Registry } from 'prom-client';
import { PARSE_REASONS, parseErrorToProblem } from './parseErrorToProblem.js';
import { problemBody } from './sendProblem.js';

/** Why a connection or request was refused before express saw it. */
const REASONS = ['connection_limit', ...PARSE_REASONS] as const;

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
    const problem = parseErrorToProblem(error.code);
    rejected.inc({ reason: problem.reason });
    const body = problemBody(problem);
    socket.end(
      `HTTP/1.1 ${problem.status} ${problem.title}\r\nContent-Type: application/problem+json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
