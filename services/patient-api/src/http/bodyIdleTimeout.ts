import type { RequestHandler } from 'express';
import { sendProblem } from './sendProblem.js';

/**
 * Cuts a request whose body stops arriving: when the socket has been idle for `idleMs`
 * while the body is incomplete, the client gets 408 and the connection is closed. Idle
 * time is the client's only: while this side has paused reading (an import upload waiting
 * for patient-rpc, the body not yet read), the wait does not count. A large upload that
 * keeps sending is never cut; a client trickling nothing, or a byte a minute, is.
 */
export function bodyIdleTimeout(idleMs: number): RequestHandler {
  return (req, res, next) => {
    const declared = req.headers['content-length'];
    if (!req.headers['transfer-encoding'] && (declared === undefined || declared === '0')) return next();
    const socket = req.socket;
    const onTimeout = () => {
      // Paused by this side (backpressure), or data waiting to be read: not the client's delay.
      if (req.isPaused() || req.readableLength > 0) {
        socket.setTimeout(idleMs);
        return;
      }
      done();
      res.setHeader('Connection', 'close');
      sendProblem(
        res,
        {
          status: 408,
          title: 'Request body timed out',
          detail: `no part of the body arrived for ${idleMs} ms`,
          reason: 'body_timeout',
        },
        req.originalUrl.split('?', 1)[0]!,
      );
      res.once('finish', () => socket.destroy());
    };
    const done = () => {
      req.off('timeout', onTimeout);
      // Once the response has finished, the socket's timeout is Node's keep-alive timeout.
      if (!res.writableFinished) socket.setTimeout(0);
    };
    // The socket's 'timeout' reaches the incomplete request as its 'timeout'; a listener
    // there keeps Node from destroying the socket without an answer.
    req.on('timeout', onTimeout);
    req.once('end', done);
    req.once('close', done);
    socket.setTimeout(idleMs);
    next();
  };
}
