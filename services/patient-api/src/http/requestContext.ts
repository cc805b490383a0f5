import { randomUUID } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { CallOptions } from '../rpc/createPatientClient.js';

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

/** The rpc call options of an authenticated request; the call is cancelled if the client leaves. */
export function callOptions(res: Response): CallOptions {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return {
    token: res.locals['token'] as string,
    requestId: res.locals['requestId'] as string,
    deadline: res.locals['deadline'] as number,
    signal: controller.signal,
  };
}
