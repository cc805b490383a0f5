import { status } from '@grpc/grpc-js';
import { BrokenCircuitError, BulkheadRejectedError, TaskCancelledError } from 'cockatiel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceError } from './testing/fakePatientClient.js';
import { startTestApp, type TestApp } from './testing/testApp.js';

let app: TestApp;
let clinician: string;

beforeAll(async () => {
  app = await startTestApp({ breakerRetryAfterSeconds: 7 });
  clinician = await app.keys.token();
});
afterAll(() => app.close());

const list = (query = '') =>
  fetch(`${app.url}/api/v1/patients${query}`, { headers: { authorization: `Bearer ${clinician}` } });

/** A failure of patient-rpc or of a policy, and what the client is told about it. */
const CASES: {
  name: string;
  error: () => unknown;
  status: number;
  body: Record<string, unknown>;
  retryAfter?: string;
}[] = [
  {
    name: 'NOT_FOUND',
    error: () => serviceError(status.NOT_FOUND, 'no such page'),
    status: 404,
    body: { title: 'Not found', reason: 'not_found', detail: 'no such page' },
  },
  {
    name: 'INVALID_ARGUMENT naming page_token: the query field it came from',
    error: () => serviceError(status.INVALID_ARGUMENT, 'malformed page token', { 'x-field-path': 'page_token' }),
    status: 400,
    body: {
      reason: 'invalid_argument',
      detail: 'malformed page token',
      errors: [{ path: 'query.cursor', message: 'malformed page token' }],
    },
  },
  {
    name: 'UNAVAILABLE',
    error: () => serviceError(status.UNAVAILABLE, 'connect ECONNREFUSED 10.0.0.7:50051'),
    status: 503,
    body: { title: 'Service unavailable', reason: 'rpc_unavailable' },
    retryAfter: '1',
  },
  {
    name: 'UNAVAILABLE because the store is full',
    error: () => serviceError(status.UNAVAILABLE, 'ENOSPC in pg_wal', { 'x-reason': 'storage_full' }),
    status: 503,
    body: { title: 'Store out of space', reason: 'storage_full', detail: expect.stringContaining('out of disk space') },
    retryAfter: '5',
  },
  {
    name: 'RESOURCE_EXHAUSTED',
    error: () => serviceError(status.RESOURCE_EXHAUSTED, 'import queue full'),
    status: 429,
    body: { reason: 'rpc_resource_exhausted', detail: 'import queue full' },
    retryAfter: '1',
  },
  {
    name: 'INTERNAL, its details withheld',
    error: () => serviceError(status.INTERNAL, 'relation "patients" does not exist'),
    status: 502,
    body: { title: 'Upstream error', reason: 'rpc_error' },
  },
  {
    name: 'the breaker open',
    error: () => new BrokenCircuitError(),
    status: 503,
    body: { reason: 'breaker_open', detail: 'patient-rpc is failing; calls are paused' },
    retryAfter: '7',
  },
  {
    name: 'the bulkhead full',
    error: () => new BulkheadRejectedError(256, 256),
    status: 503,
    body: { title: 'Service busy', reason: 'bulkhead_full', detail: 'too many calls in progress' },
    retryAfter: '1',
  },
  {
    name: 'an attempt timed out',
    error: () => new TaskCancelledError('attempt timed out after 1000ms'),
    status: 504,
    body: { title: 'Upstream timed out', reason: 'timeout' },
  },
  {
    name: 'the request budget spent',
    error: () => new DOMException('request budget spent', 'TimeoutError'),
    status: 504,
    body: { reason: 'timeout' },
  },
];

describe('createApp answers a failed call', () => {
  it.each(CASES)('$name: $status', async ({ error, status: code, body, retryAfter }) => {
    app.rpc.answer('ListPatients', () => {
      throw error();
    });
    const res = await list();
    expect(res.status).toBe(code);
    expect(res.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(res.headers.get('retry-after')).toBe(retryAfter ?? null);
    const problem = (await res.json()) as Record<string, unknown>;
    expect(problem).toEqual({
      type: 'about:blank',
      title: expect.any(String),
      status: code,
      instance: '/api/v1/patients',
      requestId: res.headers.get('x-request-id'),
      ...body,
    });
  });

  it('answers an error nobody expected 500 without its message, and logs it with the request id', async () => {
    app.rpc.answer('ListPatients', () => {
      throw new TypeError('secret internals: cannot read x of undefined');
    });
    const res = await list('?limit=5');
    const problem = (await res.json()) as Record<string, unknown>;
    expect(res.status).toBe(500);
    expect(problem).toEqual({
      type: 'about:blank',
      title: 'Internal error',
      status: 500,
      reason: 'internal',
      instance: '/api/v1/patients',
      requestId: res.headers.get('x-request-id'),
    });
    expect(JSON.stringify(problem)).not.toContain('secret');
    expect(app.logs.filter((r) => r['msg'] === 'unhandled error')).toEqual([
      expect.objectContaining({ level: 'error', requestId: res.headers.get('x-request-id') }),
    ]);
  });
});
