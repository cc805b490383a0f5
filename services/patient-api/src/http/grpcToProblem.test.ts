import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { grpcToProblem, isServiceError } from './grpcToProblem.js';

const failure = (code: status, details: string, trailers: Record<string, string> = {}): ServiceError => {
  const metadata = new Metadata();
  for (const [k, v] of Object.entries(trailers)) metadata.set(k, v);
  return Object.assign(new Error(details), { code, details, metadata });
};

describe('grpcToProblem', () => {
  it('answers a full store 503 with Retry-After and says why, in its own words', () => {
    const problem = grpcToProblem(
      failure(status.UNAVAILABLE, 'internal text that must not pass', { 'x-reason': 'storage_full' }),
    );
    expect(problem).toMatchObject({ status: 503, reason: 'storage_full', title: 'Store out of space' });
    expect(problem.detail).toMatch(/out of disk space/);
    expect(problem.detail).not.toContain('internal text');
    expect(problem.retryAfter).toBeGreaterThanOrEqual(1);
  });

  it('answers a store that restarts 503 store_unavailable', () => {
    expect(grpcToProblem(failure(status.UNAVAILABLE, 'x', { 'x-reason': 'store_unavailable' }))).toMatchObject({
      status: 503,
      reason: 'store_unavailable',
    });
  });

  it('ignores a reason it does not know, and a reason on another code', () => {
    expect(grpcToProblem(failure(status.UNAVAILABLE, 'x', { 'x-reason': 'toString' }))).toMatchObject({
      status: 503,
      reason: 'rpc_unavailable',
    });
    expect(grpcToProblem(failure(status.INTERNAL, 'x', { 'x-reason': 'storage_full' }))).toMatchObject({
      status: 502,
      reason: 'rpc_error',
    });
  });
});

describe('grpcToProblem, every status', () => {
  // Details pass only on the codes a client caused (4xx); the others say nothing of patient-rpc.
  it.each([
    [status.OK, { status: 502, title: 'Upstream error', reason: 'rpc_error' }],
    [status.CANCELLED, { status: 503, title: 'Request cancelled', reason: 'cancelled', retryAfter: 1 }],
    [status.UNKNOWN, { status: 502, title: 'Upstream error', reason: 'rpc_error' }],
    [status.INVALID_ARGUMENT, { status: 400, title: 'Invalid request', reason: 'invalid_argument', detail: 'd' }],
    [status.DEADLINE_EXCEEDED, { status: 504, title: 'Upstream timed out', reason: 'timeout' }],
    [status.NOT_FOUND, { status: 404, title: 'Not found', reason: 'not_found', detail: 'd' }],
    [status.ALREADY_EXISTS, { status: 409, title: 'Conflict', reason: 'already_exists', detail: 'd' }],
    [status.PERMISSION_DENIED, { status: 403, title: 'Forbidden', reason: 'forbidden', detail: 'd' }],
    [
      status.RESOURCE_EXHAUSTED,
      { status: 429, title: 'Too many requests', reason: 'rpc_resource_exhausted', retryAfter: 1, detail: 'd' },
    ],
    [status.FAILED_PRECONDITION, { status: 502, title: 'Upstream error', reason: 'rpc_error' }],
    [status.ABORTED, { status: 409, title: 'Conflict, retry', reason: 'aborted', detail: 'd' }],
    [status.OUT_OF_RANGE, { status: 502, title: 'Upstream error', reason: 'rpc_error' }],
    [status.UNIMPLEMENTED, { status: 501, title: 'Not implemented', reason: 'unimplemented' }],
    [status.INTERNAL, { status: 502, title: 'Upstream error', reason: 'rpc_error' }],
    [status.UNAVAILABLE, { status: 503, title: 'Service unavailable', reason: 'rpc_unavailable', retryAfter: 1 }],
    [status.DATA_LOSS, { status: 500, title: 'Stored data lost or altered', reason: 'data_loss' }],
    [status.UNAUTHENTICATED, { status: 401, title: 'Unauthenticated', reason: 'unauthenticated', detail: 'd' }],
  ])('%s → %o', (code, problem) => {
    expect(grpcToProblem(failure(code, 'd'))).toEqual(problem);
  });

  it('covers every code grpc-js has', () => {
    const codes = Object.values(status).filter((v) => typeof v === 'number');
    expect(codes).toHaveLength(17);
  });
});

describe('grpcToProblem, UNAVAILABLE with a reason', () => {
  it.each([
    ['storage_full', 'Store out of space', 5],
    ['storage_resources', 'Store out of resources', 5],
    ['store_unavailable', 'Store unavailable', 1],
    ['audit_unavailable', 'Audit trail unavailable', 1],
  ])('%s → 503 %s, Retry-After %i, in its own words', (reason, title, retryAfter) => {
    const problem = grpcToProblem(failure(status.UNAVAILABLE, 'pg: FATAL at 10.0.0.7', { 'x-reason': reason }));
    expect(problem).toEqual({ status: 503, title, reason, retryAfter, detail: expect.any(String) });
    expect(problem.detail).not.toContain('10.0.0.7');
  });
});

describe('grpcToProblem, the field of an INVALID_ARGUMENT', () => {
  it.each([
    ['answers.2', {}, 'body.answers[2]'],
    ['completed_at', {}, 'body.completedAt'],
    ['page_token', { page_token: 'query.cursor' }, 'query.cursor'],
    ['patient_id', { patient_id: 'params.id' }, 'params.id'],
    ['first_errors.3.line_no', {}, 'body.firstErrors[3].lineNo'],
    // A location only for a field the route named: not for a name of Object.prototype.
    ['constructor', {}, 'body.constructor'],
  ])('x-field-path %s → %s', (field, locations, path) => {
    expect(grpcToProblem(failure(status.INVALID_ARGUMENT, 'bad', { 'x-field-path': field }), locations)).toEqual({
      status: 400,
      title: 'Invalid request',
      reason: 'invalid_argument',
      detail: 'bad',
      errors: [{ path: path, message: 'bad' }],
    });
  });

  it('names no field on another code', () => {
    expect(grpcToProblem(failure(status.NOT_FOUND, 'gone', { 'x-field-path': 'id' }))).not.toHaveProperty('errors');
  });
});

describe('isServiceError', () => {
  it('knows a failed call by its numeric code and details', () => {
    expect(isServiceError(failure(status.INTERNAL, 'x'))).toBe(true);
    expect(isServiceError(new DOMException('budget', 'TimeoutError'))).toBe(false);
    expect(isServiceError(Object.assign(new Error('x'), { code: 'ENOENT', details: '' }))).toBe(false);
    expect(isServiceError({ code: 14, details: 'not an Error' })).toBe(false);
  });
});
