import type { status } from '@grpc/grpc-js';
import type { AuditEntry } from '../domain/auditChain.js';
import { RpcError } from './RpcError.js';

const brand = Symbol.for('patient-mesh.CallRejected');

/** Why a call was refused before any handler ran (a label of grpc_server_peer_rejections_total). */
export const REJECTION_REASONS = ['peer_not_allowed', 'token_missing', 'token_invalid'] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/**
 * A call refused by authentication or peer authorisation. `actor` is whom the audit record
 * names (the peer's SPIFFE id: the user is not known); `audited` is false when the peer
 * itself is unauthenticated (plaintext), so anonymous callers cannot grow the audit trail.
 */
export class CallRejected extends RpcError {
  readonly [brand] = true;

  constructor(
    code: status,
    message: string,
    readonly reason: RejectionReason,
    readonly actor: string,
    readonly audited: boolean,
  ) {
    super(code, message);
  }
}

export const isCallRejected = (e: unknown): e is CallRejected => typeof e === 'object' && e !== null && brand in e;

/** The audit record of a refused call (no patient id yet), or undefined when it is not audited. */
export function deniedEntry(error: unknown, action: string): Omit<AuditEntry, 'patientId'> | undefined {
  if (!isCallRejected(error) || !error.audited) return undefined;
  return { actor: error.actor, role: 'none', action, outcome: 'denied', requestId: '', traceId: '' };
}
