import type { ErrorRequestHandler } from 'express';
import type { Logger } from '@patient-mesh/runtime';
import { errorToProblem } from './errorToProblem.js';
import type { FieldLocations } from './grpcToProblem.js';
import { sendProblem } from './sendProblem.js';

export interface ErrorMiddlewareOptions {
  logger: Logger;
  /** Seconds a client should wait while the breaker is open. */
  breakerRetryAfterSeconds: number;
}

/**
 * The one error middleware: every failure becomes problem+json through `errorToProblem`;
 * an unexpected one is logged and answered 500 with nothing internal in it.
 */
export function errorMiddleware({ logger, breakerRetryAfterSeconds }: ErrorMiddlewareOptions): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    let init = errorToProblem(error, {
      breakerRetryAfterSeconds,
      fields: res.locals['fields'] as FieldLocations | undefined,
    });
    if (!init) {
      logger.error({ err: error, requestId: res.locals['requestId'] }, 'unhandled error');
      init = { status: 500, title: 'Internal error', reason: 'internal' };
    }
    sendProblem(res, init, req.originalUrl.split('?', 1)[0]!);
  };
}
