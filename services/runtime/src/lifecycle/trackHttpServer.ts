import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** What a drain cut off when its budget ran out. */
export interface DrainReport {
  socketsClosed: number;
  requestsCut: number;
}

export interface HttpDrain {
  /** Starts the drain; resolves once every connection has closed and the listener is shut. */
  drain(options: { idleSocketQuietMs: number; signal: AbortSignal }): Promise<DrainReport>;
  /** Test-only negative control: the obvious `server.close()` drain that races keep-alive clients. */
  closeAtOnce(): Promise<void>;
  /** Open connections and requests in flight, for logs and tests. */
  stats(): { sockets: number; inFlight: number };
}

interface SocketState {
  active: number;
  idleTimer: NodeJS.Timeout | undefined;
}

/**
 * Tracks an HTTP server's sockets so it can drain without losing requests. While
 * draining, every response carries `Connection: close`, so each keep-alive connection is
 * closed by the response the client is already waiting for, never under a request the
 * client may be sending. Sockets idle past a quiet period are closed; the listener stays
 * open until the last socket is gone (Node's `server.close()` would close idle keep-alive
 * sockets at once, racing the clients' next requests).
 */
export function trackHttpServer(server: Server): HttpDrain {
  const sockets = new Map<Socket, SocketState>();
  let draining: { quietMs: number; onEmpty: () => void } | undefined;

  const scheduleIdleClose = (socket: Socket, state: SocketState) => {
    if (!draining || state.active > 0) return;
    clearTimeout(state.idleTimer);
    state.idleTimer = setTimeout(() => socket.destroySoon(), draining.quietMs);
  };

  server.on('connection', (socket: Socket) => {
    const state: SocketState = { active: 0, idleTimer: undefined };
    sockets.set(socket, state);
    scheduleIdleClose(socket, state);
    socket.once('close', () => {
      clearTimeout(state.idleTimer);
      sockets.delete(socket);
      if (sockets.size === 0) draining?.onEmpty();
    });
  });

  // Runs before the application's own handler so the header is set before any response.
  server.prependListener('request', (req, res) => {
    const state = sockets.get(req.socket);
    if (draining && !res.headersSent) res.setHeader('Connection', 'close');
    if (!state) return;
    state.active += 1;
    clearTimeout(state.idleTimer);
    res.once('close', () => {
      state.active -= 1;
      scheduleIdleClose(req.socket, state);
    });
  });

  const stats = () => {
    let inFlight = 0;
    for (const state of sockets.values()) inFlight += state.active;
    return { sockets: sockets.size, inFlight };
  };

  return {
    stats,
    drain({ idleSocketQuietMs, signal }) {
      return new Promise<DrainReport>((resolve) => {
        let report: DrainReport = { socketsClosed: 0, requestsCut: 0 };
        let finished = false;
        const finish = () => {
          if (finished) return;
          finished = true;
          signal.removeEventListener('abort', onAbort);
          server.close(() => resolve(report));
        };
        const onAbort = () => {
          const { sockets: socketsClosed, inFlight: requestsCut } = stats();
          report = { socketsClosed, requestsCut };
          server.closeAllConnections();
          for (const socket of sockets.keys()) socket.destroy();
        };
        draining = { quietMs: idleSocketQuietMs, onEmpty: finish };
        signal.addEventListener('abort', onAbort, { once: true });
        for (const [socket, state] of sockets) scheduleIdleClose(socket, state);
        if (sockets.size === 0) finish();
        else if (signal.aborted) onAbort();
      });
    },
    closeAtOnce() {
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
