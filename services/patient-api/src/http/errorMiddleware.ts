import type { ErrorRequestHandler, Response } from 'express';
import type { Logger } from '@patient-mesh/runtime';
import { isHttpProblem, type HttpProblemInit } from './HttpProblem.js';

/** The body-parser errors express raises, by their `type`. */
const BODY_ERRORS: Record<string, HttpProblemInit> = {
  'entity.parse.failed': { status: 400, title: 'Body is not valid JSON', reason: 'malformed_json' },
  'entity.too.large': { status: 413, title: 'Body too large', reason: 'body_too_large' },
  'encoding.unsupported': { status: 415, title: 'Unsupported content encoding', reason: 'unsupported_encoding' },
  'charset.unsupported': { status: 415, title: 'Unsupported charset', reason: 'unsupported_charset' },
  'request.aborted': { status: 400, title: 'Request aborted', reason: 'aborted' },
};

/** The one error middleware: every failure becomes problem+json; nothing internal leaks. */
export function errorMiddleware(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    let init: HttpProblemInit;
    if (isHttpProblem(error)) init = error.init;
    else if (isBodyError(error) && BODY_ERRORS[error.type]) init = BODY_ERRORS[error.type]!;
    else {
      logger.error({ err: error, requestId: res.locals['requestId'] }, 'unhandled error');
      init = { status: 500, title: 'Internal error', reason: 'internal' };
    }
    sendProblem(res, init, req.originalUrl.split('?', 1)[0]!);
  };
}

export function sendProblem(res: Response, init: HttpProblemInit, instance: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (init.retryAfter !== undefined) res.setHeader('Retry-After', String(Math.max(1, Math.ceil(init.retryAfter))));
  for (const [name, value] of Object.entries(init.headers ?? {})) res.setHeader(name, value);
  res
    .status(init.status)
    .type('application/problem+json')
    .send(
      JSON.stringify({
        type: 'about:blank',
        title: init.title,
        status: init.status,
        ...(init.detail && { detail: init.detail }),
        ...(init.reason && { reason: init.reason }),
        ...(init.errors && { errors: init.errors }),
        instance,
        requestId: res.locals['requestId'],
      }),
    );
}

function isBodyError(e: unknown): e is { type: string } {
  return typeof e === 'object' && e !== null && 'type' in e && typeof e.type === 'string';
}
