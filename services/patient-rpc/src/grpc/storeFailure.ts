import { status } from '@grpc/grpc-js';
import { isDatabaseUnavailable, isInsufficientResources, pgErrorCode, PG_DISK_FULL } from '../store/Db.js';
import { RpcError } from './RpcError.js';

/**
 * A store failure that is the server's condition, not the call's fault: out of disk space or
 * other resources, or the database gone (restart, crash, failover). Its `reason` travels to
 * the edge in the `x-reason` trailer (patient-api answers 503 with Retry-After by it).
 */
export function storeFailure(error: unknown): { message: string; reason: string } | undefined {
  const code = pgErrorCode(error);
  if (code === PG_DISK_FULL) return { message: 'the store is out of disk space', reason: 'storage_full' };
  if (isInsufficientResources(error))
    return { message: `the store is out of resources (SQLSTATE ${code})`, reason: 'storage_resources' };
  if (isDatabaseUnavailable(error)) return { message: 'the store is unavailable', reason: 'store_unavailable' };
  return undefined;
}

/** UNAVAILABLE with the store's reason, for a store failure; undefined for anything else. */
export function storeFailureError(error: unknown): RpcError | undefined {
  const failure = storeFailure(error);
  return failure && new RpcError(status.UNAVAILABLE, failure.message, undefined, failure.reason);
}

/**
 * The audit rule comes first: an access whose record cannot be stored is not answered, even
 * when its data is at hand (a cached read on a full disk). UNAVAILABLE, with the store's
 * reason when the store said why.
 */
export function auditUnavailable(error: unknown): RpcError {
  const failure = storeFailure(error);
  return new RpcError(
    status.UNAVAILABLE,
    `audit trail unavailable${failure ? ` (${failure.message})` : ''}; request not served`,
    undefined,
    failure?.reason ?? 'audit_unavailable',
  );
}
