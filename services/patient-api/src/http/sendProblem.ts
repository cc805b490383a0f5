import type { Response } from 'express';
import type { HttpProblemInit } from './HttpProblem.js';

/** Where a problem happened: the request's path and id, when there is a request. */
export interface ProblemContext {
  instance?: string;
  requestId?: string;
}

/** The RFC 9457 problem+json body; every answer of this service that is an error has this shape. */
export function problemBody(init: HttpProblemInit, { instance, requestId }: ProblemContext = {}): string {
  return JSON.stringify({
    type: 'about:blank',
    title: init.title,
    status: init.status,
    ...(init.detail && { detail: init.detail }),
    ...(init.reason && { reason: init.reason }),
    ...(init.errors && { errors: init.errors }),
    instance,
    requestId,
  });
}

/**
 * Sends `init` as problem+json with its headers and Retry-After (whole seconds, at least 1).
 * A response already under way cannot become a problem: its connection is destroyed.
 */
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
    .send(problemBody(init, { instance, requestId: res.locals['requestId'] as string | undefined }));
}
