import { status } from '@grpc/grpc-js';

const brand = Symbol.for('patient-mesh.RpcError');

/**
 * An expected failure with its gRPC status; `field` names the offending request field,
 * `edgeReason` a machine-readable cause the edge may answer by (trailer `x-reason`,
 * e.g. `storage_full`).
 */
export class RpcError extends Error {
  readonly [brand] = true;
  override readonly name = 'RpcError';

  constructor(
    readonly code: status,
    message: string,
    readonly field?: string,
    readonly edgeReason?: string,
  ) {
    super(message);
  }
}

export const isRpcError = (e: unknown): e is RpcError => typeof e === 'object' && e !== null && brand in e;

export const notFound = (what: string) => new RpcError(status.NOT_FOUND, `${what} not found`);
export const invalidArgument = (field: string, message: string) =>
  new RpcError(status.INVALID_ARGUMENT, `${field}: ${message}`, field);
