import { Metadata, status } from '@grpc/grpc-js';
import { isMissingRecordsError } from '../audit/ledger/storedTree.js';
import { isAuditUnavailable, type AuditUnavailable } from '../domain/errors/AuditUnavailable.js';
import { isConcurrentChange } from '../domain/errors/ConcurrentChange.js';
import { isConflict } from '../domain/errors/Conflict.js';
import { isInvalidInput } from '../domain/errors/InvalidInput.js';
import { isNotFound } from '../domain/errors/NotFound.js';
import { isStoreFailure, type StoreCondition, type StoreFailure } from '../store/StoreFailure.js';
import { isRpcError, RpcError } from './RpcError.js';

/**
 * The `x-reason` of each store condition that is the server's, not the call's: patient-api
 * answers 503 with Retry-After by it (store_unavailable, storage_full, storage_resources).
 */
const EDGE_REASON: Partial<Record<StoreCondition, string>> = {
  store_unavailable: 'store_unavailable',
  storage_full: 'storage_full',
  storage_resources: 'storage_resources',
};

function fromStoreFailure(failure: StoreFailure): RpcError {
  if (failure.condition === 'statement_cancelled')
    return new RpcError(status.DEADLINE_EXCEEDED, `${failure.message}: deadline exceeded`);
  return new RpcError(status.UNAVAILABLE, failure.message, undefined, EDGE_REASON[failure.condition]);
}

/**
 * The audit rule comes first: an access whose record cannot be stored is not answered, even
 * when its data is at hand (a cached read on a full disk). UNAVAILABLE, with the store's
 * reason when the store said why.
 */
function fromAuditUnavailable(error: AuditUnavailable): RpcError {
  const failure = isStoreFailure(error.cause) && EDGE_REASON[error.cause.condition] ? error.cause : undefined;
  return new RpcError(
    status.UNAVAILABLE,
    `audit trail unavailable${failure ? ` (${failure.message})` : ''}; request not served`,
    undefined,
    failure ? EDGE_REASON[failure.condition] : 'audit_unavailable',
  );
}

const isTimeout = (e: unknown): e is DOMException => e instanceof DOMException && e.name === 'TimeoutError';

const rule =
  <E>(is: (e: unknown) => e is E, to: (e: E) => RpcError) =>
  (e: unknown): RpcError | undefined =>
    is(e) ? to(e) : undefined;

/** What each kind of failure is on the wire, in one table: the first rule that matches. */
const RULES = [
  rule(isRpcError, (e) => e),
  rule(isInvalidInput, (e) => new RpcError(status.INVALID_ARGUMENT, e.message, e.field)),
  rule(isNotFound, (e) => new RpcError(status.NOT_FOUND, e.message)),
  rule(isConflict, (e) => new RpcError(status.ALREADY_EXISTS, e.message, e.field)),
  rule(isConcurrentChange, (e) => new RpcError(status.ABORTED, e.message)),
  rule(isMissingRecordsError, (e) => new RpcError(status.DATA_LOSS, e.message)),
  rule(isStoreFailure, fromStoreFailure),
  rule(isAuditUnavailable, fromAuditUnavailable),
  // The call's own deadline (its signal's reason) ended the work.
  rule(isTimeout, () => new RpcError(status.DEADLINE_EXCEEDED, 'deadline exceeded')),
];

/**
 * The gRPC status of a failure: domain errors, store conditions, the call's deadline. An
 * error of no known kind is undefined: the caller logs it and answers INTERNAL, which
 * says nothing of it.
 */
export function toRpcError(error: unknown): RpcError | undefined {
  for (const to of RULES) {
    const rpc = to(error);
    if (rpc) return rpc;
  }
  return undefined;
}

/** What a call answers for an error of no known kind: nothing of it leaves the process. */
export const internalError = (): RpcError => new RpcError(status.INTERNAL, 'internal error');

/** The status to send: code, message, and the trailers `x-field-path` and `x-reason` when known. */
export function toStatus(rpc: RpcError): { code: status; details: string; metadata: Metadata } {
  const metadata = new Metadata();
  if (rpc.field) metadata.set('x-field-path', rpc.field);
  if (rpc.edgeReason) metadata.set('x-reason', rpc.edgeReason);
  return { code: rpc.code, details: rpc.message, metadata };
}
