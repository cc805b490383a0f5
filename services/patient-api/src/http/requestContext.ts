import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** Gives each request an id (a valid inbound `X-Request-Id`, or a new UUID) and a deadline. */
export function requestContext(requestTimeoutMs: number): RequestHandler {
  return (req, res, next) => {
    const inbound = req.headers['x-request-id'];
    const requestId = typeof inbound === 'string' && REQUEST_ID.test(inbound) ? inbound : randomUUID();
    res.locals['requestId'] = requestId;
    res.locals['deadline'] = Date.now() + requestTimeoutMs;
    res.setHeader('X-Request-Id', requestId);
    next();
  };
}
