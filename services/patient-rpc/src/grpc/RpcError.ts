import type { status } from '@grpc/grpc-js';

const brand = Symbol.for('patient-mesh.RpcError');

/**
 * A failure with its gRPC status, as it leaves: what toRpcError makes of every other error,
 * or what a handler raises when only gRPC has the word for it. `field` names the offending
 * request field (trailer `x-field-path`), `edgeReason` a machine-readable cause the edge may
 * answer by (trailer `x-reason`, e.g. `storage_full`).
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
