import { Metadata, status } from '@grpc/grpc-js';
import { BrokenCircuitError } from 'cockatiel';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { errorToProblem } from './errorToProblem.js';
import { HttpProblem } from './HttpProblem.js';
import { zodToProblem } from './zodToProblem.js';

const context = { breakerRetryAfterSeconds: 4, fields: { page_token: 'query.cursor' } };
const failedCall = (code: status, details: string, field: string) => {
  const metadata = new Metadata();
  metadata.set('x-field-path', field);
  return Object.assign(new Error(details), { code, details, metadata });
};

describe('errorToProblem, the one table of the error middleware', () => {
  it('answers a policy outcome, with the Retry-After of the breaker', () => {
    expect(errorToProblem(new BrokenCircuitError(), context)).toMatchObject({ status: 503, retryAfter: 4 });
  });

  it("answers a failed call through grpcToProblem, with the route's field locations", () => {
    expect(errorToProblem(failedCall(status.INVALID_ARGUMENT, 'bad token', 'page_token'), context)).toMatchObject({
      status: 400,
      errors: [{ path: 'query.cursor', message: 'bad token' }],
    });
    expect(
      errorToProblem(failedCall(status.INVALID_ARGUMENT, 'bad token', 'page_token'), { breakerRetryAfterSeconds: 1 }),
    ).toMatchObject({ errors: [{ path: 'body.pageToken' }] });
  });

  it('answers an HttpProblem as it says, a zod failure among them', () => {
    const invalid = z.object({ id: z.uuid() }).safeParse({ id: 'x' }).error!;
    const init = zodToProblem(invalid, 'params');
    expect(errorToProblem(new HttpProblem(init), context)).toBe(init);
  });

  it('answers the client errors of express and its parsers', () => {
    const error = Object.assign(new Error('x'), { type: 'entity.too.large', status: 413, expose: true });
    expect(errorToProblem(error, context)).toMatchObject({ status: 413, reason: 'body_too_large' });
  });

  it('has no answer for anything else: the middleware answers 500 and logs it', () => {
    expect(errorToProblem(new Error('boom'), context)).toBeUndefined();
    expect(errorToProblem(undefined, context)).toBeUndefined();
  });
});
