import { status, type ServiceError } from '@grpc/grpc-js';
import type { HttpProblemInit } from './HttpProblem.js';

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

/**
 * UNAVAILABLE for a reason patient-rpc names (trailer `x-reason`) that a client can act on:
 * the store's condition, said in words of this table (patient-rpc's text never passes).
 */
const UNAVAILABLE_REASONS: Record<string, HttpProblemInit> = {
  storage_full: {
    status: 503,
    title: 'Store out of space',
    detail:
      'the patient store is out of disk space: writes, and reads whose audit record cannot be stored, are refused until space is freed',
    reason: 'storage_full',
    retryAfter: 5,
  },
  storage_resources: {
    status: 503,
    title: 'Store out of resources',
    detail: 'the patient store is out of resources (memory or connections); try again shortly',
    reason: 'storage_resources',
    retryAfter: 5,
  },
  store_unavailable: {
    status: 503,
    title: 'Store unavailable',
    detail: 'the patient store is restarting or unreachable; try again shortly',
    reason: 'store_unavailable',
    retryAfter: 1,
  },
  audit_unavailable: {
    status: 503,
    title: 'Audit trail unavailable',
    detail: 'the audit record of this request could not be stored, so it was not served',
    reason: 'audit_unavailable',
    retryAfter: 1,
  },
};

/**
 * Where the route took each request field patient-rpc may name in `x-field-path` (proto
 * names: `page_token`, `answers.2`), e.g. `{ page_token: 'query.cursor' }`. A field the
 * route does not list came from the JSON body, under its camelCase name.
 */
export type FieldLocations = Readonly<Record<string, string>>;

/** `page_token` → `query.cursor`; `answers.2` → `body.answers[2]`. */
export function fieldPath(field: string, locations: FieldLocations = {}): string {
  const [head = '', ...rest] = field.split('.');
  const base = Object.hasOwn(locations, head) ? locations[head]! : `body.${camel(head)}`;
  return rest.reduce(
    (path, segment) => (/^\d+$/.test(segment) ? `${path}[${segment}]` : `${path}.${camel(segment)}`),
    base,
  );
}

const camel = (name: string) => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Maps a failed call to a problem; details pass through only for client-caused codes. */
export function grpcToProblem(error: ServiceError, fields: FieldLocations = {}): HttpProblemInit {
  const because = error.metadata?.get('x-reason')[0];
  if (error.code === status.UNAVAILABLE && typeof because === 'string' && Object.hasOwn(UNAVAILABLE_REASONS, because))
    return UNAVAILABLE_REASONS[because]!;
  const row = TABLE[error.code] ?? { status: 502, title: 'Upstream error', reason: 'rpc_error' };
  const field = error.metadata?.get('x-field-path')[0];
  const clientCaused = row.status >= 400 && row.status < 500;
  return {
    ...row,
    ...(clientCaused && { detail: error.details }),
    ...(row.status === 400 &&
      typeof field === 'string' && { errors: [{ path: fieldPath(field, fields), message: error.details }] }),
  };
}

export const isServiceError = (e: unknown): e is ServiceError =>
  e instanceof Error && typeof (e as Partial<ServiceError>).code === 'number' && 'details' in e;
