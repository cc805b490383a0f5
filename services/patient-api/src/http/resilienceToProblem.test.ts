import { status } from '@grpc/grpc-js';
import { BrokenCircuitError, BulkheadRejectedError, IsolatedCircuitError, TaskCancelledError } from 'cockatiel';
import { describe, expect, it } from 'vitest';
import { resilienceToProblem } from './resilienceToProblem.js';

describe('resilienceToProblem', () => {
  it.each([
    [
      'the breaker open: Retry-After until its probe',
      new BrokenCircuitError(),
      {
        status: 503,
        title: 'Service unavailable',
        detail: 'patient-rpc is failing; calls are paused',
        reason: 'breaker_open',
        retryAfter: 9,
      },
    ],
    [
      'the breaker isolated by hand',
      new IsolatedCircuitError(),
      { status: 503, title: 'Service unavailable', reason: 'breaker_open', retryAfter: 9, detail: expect.any(String) },
    ],
    [
      'the bulkhead and its queue full',
      new BulkheadRejectedError(1, 0),
      {
        status: 503,
        title: 'Service busy',
        detail: 'too many calls in progress',
        reason: 'bulkhead_full',
        retryAfter: 1,
      },
    ],
    ['a timed-out attempt', new TaskCancelledError(), { status: 504, title: 'Upstream timed out', reason: 'timeout' }],
    [
      'the request budget spent',
      new DOMException('request budget spent', 'TimeoutError'),
      { status: 504, title: 'Upstream timed out', reason: 'timeout' },
    ],
  ])('%s', (_name, error, problem) => {
    expect(resilienceToProblem(error, 9)).toEqual(problem);
  });

  it('is no answer for what is not a policy outcome', () => {
    expect(resilienceToProblem(new DOMException('aborted', 'AbortError'), 9)).toBeUndefined();
    expect(
      resilienceToProblem(Object.assign(new Error('x'), { code: status.UNAVAILABLE, details: 'x' }), 9),
    ).toBeUndefined();
    expect(resilienceToProblem('TimeoutError', 9)).toBeUndefined();
  });
});
