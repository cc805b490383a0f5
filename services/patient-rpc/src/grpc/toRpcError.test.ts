import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { MissingRecordsError } from '../audit/ledger/storedTree.js';
import { AuditUnavailable } from '../domain/errors/AuditUnavailable.js';
import { ConcurrentChange } from '../domain/errors/ConcurrentChange.js';
import { Conflict } from '../domain/errors/Conflict.js';
import { InvalidInput } from '../domain/errors/InvalidInput.js';
import { NotFound } from '../domain/errors/NotFound.js';
import { StoreFailure, type StoreCondition } from '../store/StoreFailure.js';
import { CallRejected } from './CallRejected.js';
import { RpcError } from './RpcError.js';
import { internalError, toRpcError, toStatus } from './toRpcError.js';

const store = (condition: StoreCondition, message: string) =>
  new StoreFailure(condition, message, { cause: new Error('driver') });

type Expected = { code: status; message: string; field?: string; reason?: string };

// Every kind of failure a handler may raise, and what it is on the wire. The messages and
// reasons are the ones patient-api and the tests under tests/ rely on.
const TABLE: Array<[string, unknown, Expected]> = [
  [
    'InvalidInput',
    new InvalidInput('answers.3', 'answer must be an integer from 0 to 3'),
    {
      code: status.INVALID_ARGUMENT,
      message: 'answers.3: answer must be an integer from 0 to 3',
      field: 'answers.3',
    },
  ],
  ['NotFound', new NotFound('patient not found'), { code: status.NOT_FOUND, message: 'patient not found' }],
  [
    'Conflict',
    new Conflict('submissionId', 'submission id already used for different answers'),
    {
      code: status.ALREADY_EXISTS,
      message: 'submission id already used for different answers',
      field: 'submissionId',
    },
  ],
  [
    'ConcurrentChange',
    new ConcurrentChange('submission changed concurrently; retry'),
    { code: status.ABORTED, message: 'submission changed concurrently; retry' },
  ],
  [
    'MissingRecordsError',
    new MissingRecordsError('the log does not hold every record with seq 1..4'),
    { code: status.DATA_LOSS, message: 'the log does not hold every record with seq 1..4' },
  ],
  [
    'store: statement cancelled',
    store('statement_cancelled', 'database statement cancelled'),
    { code: status.DEADLINE_EXCEEDED, message: 'database statement cancelled: deadline exceeded' },
  ],
  [
    'store: unavailable',
    store('store_unavailable', 'the store is unavailable'),
    { code: status.UNAVAILABLE, message: 'the store is unavailable', reason: 'store_unavailable' },
  ],
  [
    'store: disk full',
    store('storage_full', 'the store is out of disk space'),
    { code: status.UNAVAILABLE, message: 'the store is out of disk space', reason: 'storage_full' },
  ],
  [
    'store: other resources',
    store('storage_resources', 'the store is out of resources (SQLSTATE 53200)'),
    {
      code: status.UNAVAILABLE,
      message: 'the store is out of resources (SQLSTATE 53200)',
      reason: 'storage_resources',
    },
  ],
  [
    'audit unavailable: disk full',
    new AuditUnavailable(store('storage_full', 'the store is out of disk space')),
    {
      code: status.UNAVAILABLE,
      message: 'audit trail unavailable (the store is out of disk space); request not served',
      reason: 'storage_full',
    },
  ],
  [
    'audit unavailable: database gone',
    new AuditUnavailable(store('store_unavailable', 'the store is unavailable')),
    {
      code: status.UNAVAILABLE,
      message: 'audit trail unavailable (the store is unavailable); request not served',
      reason: 'store_unavailable',
    },
  ],
  [
    'audit unavailable: statement cancelled (not a store condition of the server)',
    new AuditUnavailable(store('statement_cancelled', 'database statement cancelled')),
    { code: status.UNAVAILABLE, message: 'audit trail unavailable; request not served', reason: 'audit_unavailable' },
  ],
  [
    'audit unavailable: any other cause',
    new AuditUnavailable(new Error('pool closed')),
    { code: status.UNAVAILABLE, message: 'audit trail unavailable; request not served', reason: 'audit_unavailable' },
  ],
  [
    "the call's deadline",
    new DOMException('deadline exceeded', 'TimeoutError'),
    { code: status.DEADLINE_EXCEEDED, message: 'deadline exceeded' },
  ],
  [
    'an RpcError, as it is',
    new RpcError(status.RESOURCE_EXHAUSTED, 'import queue is full; retry later'),
    { code: status.RESOURCE_EXHAUSTED, message: 'import queue is full; retry later' },
  ],
  [
    'a CallRejected, as it is',
    new CallRejected(status.UNAUTHENTICATED, 'token not acceptable: expired', 'token_invalid', 'peer', true),
    { code: status.UNAUTHENTICATED, message: 'token not acceptable: expired' },
  ],
];

describe('toRpcError', () => {
  it.each(TABLE)('%s', (_name, error, expected) => {
    const rpc = toRpcError(error);
    expect(rpc && { code: rpc.code, message: rpc.message, field: rpc.field, reason: rpc.edgeReason }).toEqual({
      field: undefined,
      reason: undefined,
      ...expected,
    });
  });

  it('knows nothing of other errors (the caller answers INTERNAL, saying nothing of them)', () => {
    for (const error of [new Error('relation "x" does not exist'), new DOMException('aborted', 'AbortError'), 'boom'])
      expect(toRpcError(error)).toBeUndefined();
    expect(internalError()).toMatchObject({ code: status.INTERNAL, message: 'internal error' });
  });
});

describe('toStatus', () => {
  it('carries the field path and the edge reason as trailers, and nothing when there is neither', () => {
    const invalid = toStatus(new RpcError(status.INVALID_ARGUMENT, 'id: must be a UUID', 'id'));
    expect([invalid.code, invalid.details, invalid.metadata.getMap()]).toEqual([
      status.INVALID_ARGUMENT,
      'id: must be a UUID',
      { 'x-field-path': 'id' },
    ]);
    const full = toStatus(new RpcError(status.UNAVAILABLE, 'full', undefined, 'storage_full'));
    expect(full.metadata.getMap()).toEqual({ 'x-reason': 'storage_full' });
    expect(toStatus(new RpcError(status.NOT_FOUND, 'gone')).metadata.getMap()).toEqual({});
  });
});
