import { status, type ServiceError } from '@grpc/grpc-js';
import type { HttpProblemInit } from '../http/HttpProblem.js';

/** The gRPC → HTTP table at the edge. */
const TABLE: Partial<Record<status, Omit<HttpProblemInit, 'detail'>>> = {
  [status.INVALID_ARGUMENT]: { status: 400, title: 'Invalid request', reason: 'invalid_argument' },
  [status.NOT_FOUND]: { status: 404, title: 'Not found', reason: 'not_found' },
  [status.ALREADY_EXISTS]: { status: 409, title: 'Conflict', reason: 'already_exists' },
  [status.PERMISSION_DENIED]: { status: 403, title: 'Forbidden', reason: 'forbidden' },
  [status.UNAUTHENTICATED]: { status: 401, title: 'Unauthenticated', reason: 'unauthenticated' },
  [status.RESOURCE_EXHAUSTED]: {
    status: 429,
    title: 'Too many requests',
    reason: 'rpc_resource_exhausted',
    retryAfter: 1,
  },
  [status.DEADLINE_EXCEEDED]: { status: 504, title: 'Upstream timed out', reason: 'timeout' },
  [status.UNAVAILABLE]: { status: 503, title: 'Service unavailable', reason: 'rpc_unavailable', retryAfter: 1 },
  [status.CANCELLED]: { status: 503, title: 'Request cancelled', reason: 'cancelled', retryAfter: 1 },
  [status.ABORTED]: { status: 409, title: 'Conflict, retry', reason: 'aborted' },
  [status.UNIMPLEMENTED]: { status: 501, title: 'Not implemented', reason: 'unimplemented' },
  [status.DATA_LOSS]: { status: 500, title: 'Stored data lost or altered', reason: 'data_loss' },
};

/** Maps a failed call to a problem; details pass through only for client-caused codes. */
export function grpcToProblem(error: ServiceError): HttpProblemInit {
  const row = TABLE[error.code] ?? { status: 502, title: 'Upstream error', reason: 'rpc_error' };
  const field = error.metadata?.get('x-field-path')[0];
  const clientCaused = row.status >= 400 && row.status < 500;
  return {
    ...row,
    ...(clientCaused && { detail: error.details }),
    ...(row.status === 400 &&
      typeof field === 'string' && { errors: [{ path: `body.${field}`, message: error.details }] }),
  };
}

export const isServiceError = (e: unknown): e is ServiceError =>
  e instanceof Error && typeof (e as Partial<ServiceError>).code === 'number' && 'details' in e;
