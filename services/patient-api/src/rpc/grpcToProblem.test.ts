import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { grpcToProblem } from './grpcToProblem.js';

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
