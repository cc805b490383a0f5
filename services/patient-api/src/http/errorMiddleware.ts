import { STATUS_CODES } from 'node:http';
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
  'request.size.invalid': {
    status: 400,
    title: 'Body shorter or longer than its Content-Length',
    reason: 'bad_length',
  },
  // Set by jsonBody's verify step.
  'entity.utf8.invalid': {
    status: 400,
    title: 'Body is not valid UTF-8',
    detail: 'JSON bodies must be UTF-8; invalid byte sequences are refused, not replaced',
    reason: 'malformed_utf8',
  },
};

/**
 * Other client errors express and its parsers raise: an undecodable path parameter, and
 * http-errors (a 4xx `status`, `expose`) such as a body that does not inflate.
 */
function clientError(error: unknown): HttpProblemInit | undefined {
  // The router's (it sets status 400, not expose).
  if (error instanceof URIError && (error as { status?: unknown }).status === 400)
    return {
      status: 400,
      title: 'Malformed path',
      detail: 'a path segment is not valid percent-encoding',
      reason: 'malformed_path',
    };
  if (typeof error !== 'object' || error === null) return undefined;
  const { status, expose, code } = error as { status?: unknown; expose?: unknown; code?: unknown };
  if (typeof status !== 'number' || status < 400 || status > 499 || expose !== true) return undefined;
  if (typeof code === 'string' && code.startsWith('Z_'))
    return {
      status: 400,
      title: 'Body does not match its Content-Encoding',
      detail: 'the body could not be decompressed',
      reason: 'malformed_encoding',
    };
  return { status, title: STATUS_CODES[status] ?? 'Bad request', reason: 'bad_request' };
}

/** The one error middleware: every failure becomes problem+json; nothing internal leaks. */
export function errorMiddleware(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    let init = isHttpProblem(error) ? error.init : isBodyError(error) ? BODY_ERRORS[error.type] : undefined;
    init ??= clientError(error);
    if (!init) {
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
