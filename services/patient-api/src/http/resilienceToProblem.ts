import { BrokenCircuitError, BulkheadRejectedError, TaskCancelledError } from 'cockatiel';
import type { HttpProblemInit } from './HttpProblem.js';

/** Maps a policy outcome to its HTTP answer; undefined for errors that are not one. */
export function resilienceToProblem(error: unknown, retryAfterSeconds: number): HttpProblemInit | undefined {
  if (error instanceof BrokenCircuitError)
    return {
      status: 503,
      title: 'Service unavailable',
      detail: 'patient-rpc is failing; calls are paused',
      reason: 'breaker_open',
      retryAfter: retryAfterSeconds,
    };
  if (error instanceof BulkheadRejectedError)
    return {
      status: 503,
      title: 'Service busy',
      detail: 'too many calls in progress',
      reason: 'bulkhead_full',
      retryAfter: 1,
    };
  if (error instanceof TaskCancelledError || (error instanceof DOMException && error.name === 'TimeoutError'))
    return { status: 504, title: 'Upstream timed out', reason: 'timeout' };
  return undefined;
}
