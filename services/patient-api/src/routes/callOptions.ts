import type { Response } from 'express';
import type { CallOptions } from '../rpc/CallOptions.js';

/**
 * The rpc call options of an authenticated request (its token, id and deadline, set by
 * http/authMiddleware.ts and http/requestContext.ts); the call is cancelled if the client leaves.
 */
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
