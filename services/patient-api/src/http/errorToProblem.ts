import { grpcToProblem, isServiceError, type FieldLocations } from './grpcToProblem.js';
import { isHttpProblem, type HttpProblemInit } from './HttpProblem.js';
import { requestErrorToProblem } from './requestErrorToProblem.js';
import { resilienceToProblem } from './resilienceToProblem.js';

export interface ErrorContext {
  /** Seconds a client should wait while the breaker is open. */
  breakerRetryAfterSeconds: number;
  /** Where the route took the request fields patient-rpc may name (set by routes/guard.ts). */
  fields?: FieldLocations;
}

/**
 * The edge's one table from an error to its answer, first match wins: a policy outcome
 * (breaker open, bulkhead full, timeout), a failed gRPC call, an HttpProblem thrown by a
 * middleware or route (validation, auth, rate limit, 404/405 among them), then the client
 * errors express and its parsers raise. Undefined: an error nobody expected (answered 500).
 */
export function errorToProblem(error: unknown, context: ErrorContext): HttpProblemInit | undefined {
  const policy = resilienceToProblem(error, context.breakerRetryAfterSeconds);
  if (policy) return policy;
  if (isServiceError(error)) return grpcToProblem(error, context.fields);
  if (isHttpProblem(error)) return error.init;
  return requestErrorToProblem(error);
}
