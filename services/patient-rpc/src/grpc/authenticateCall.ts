import { status, type Metadata, type ServerInterceptingCallInterface } from '@grpc/grpc-js';
import { isAuthError, peerSpiffeId, type TokenVerifier } from '@patient-mesh/runtime';
import { CALL_METADATA, type Principal } from '@patient-mesh/contract';
import type { Counter } from 'prom-client';
import { CallRejected, type RejectionReason } from './CallRejected.js';
import type { ConnectionIdentities } from './ConnectionIdentities.js';
import { firstValue, requestIdFrom } from './callContext.js';

/** Who a call is for, established before any handler runs. */
export interface Caller {
  /** The end user, from the verified claims of their token only. */
  principal: Principal;
  /** From the authenticated peer (patient-api); '' when absent. */
  requestId: string;
}

/** What authentication reads of a call: its metadata and its connection. */
export type IncomingCall = { metadata: Metadata } & Pick<ServerInterceptingCallInterface, 'getAuthContext' | 'getPeer'>;

export type AuthenticateCall = (call: IncomingCall) => Promise<Caller>;

export interface CallAuthenticatorOptions {
  /** `mtls`: the peer is the client certificate's SPIFFE id and must be allowed. */
  tlsMode: 'mtls' | 'mesh' | 'plaintext';
  allowedClients: readonly string[];
}

export interface CallAuthenticatorDeps {
  tokens: TokenVerifier;
  rejections: Counter<'reason'>;
  /** Identities of open connections, read once per handshake; a miss reads the call's connection. */
  connections?: Pick<ConnectionIdentities, 'lookup'>;
}

const BEARER = /^Bearer ([A-Za-z0-9_.~+/-]+=*)$/i;

/**
 * Authenticates every PatientService call twice over. The peer: in mtls mode the TLS layer
 * has already refused clients without a certificate of the trust bundle; here the
 * certificate's SPIFFE id must be one of `allowedClients`. The end user: the bearer token
 * patient-api forwards is verified again (issuer, audience, pinned algorithms, JWKS) and
 * actor and roles come from its claims; nothing the caller merely asserts is believed.
 * The request id is taken only once both checks passed.
 */
export function createCallAuthenticator(
  options: CallAuthenticatorOptions,
  deps: CallAuthenticatorDeps,
): AuthenticateCall {
  const allowed = new Set(options.allowedClients);
  const peerIdentity = (call: IncomingCall) =>
    deps.connections?.lookup(call.getPeer())?.id ?? peerSpiffeId(call.getAuthContext().sslPeerCertificate);
  // Under a mesh the sidecar authenticated the peer (and its policy authorised it).
  const peerAuthenticated = options.tlsMode !== 'plaintext';
  const reject = (reason: RejectionReason, code: status, message: string, actor: string): never => {
    deps.rejections.inc({ reason });
    throw new CallRejected(code, message, reason, actor, peerAuthenticated);
  };

  return async (call) => {
    let peer = options.tlsMode === 'mesh' ? 'mesh-peer' : 'unauthenticated';
    if (options.tlsMode === 'mtls') {
      const id = peerIdentity(call);
      peer = id ?? 'peer-without-spiffe-id';
      if (!id || !allowed.has(id))
        reject('peer_not_allowed', status.PERMISSION_DENIED, `peer ${peer} may not call PatientService`, peer);
    }
    const match = BEARER.exec(firstValue(call.metadata, CALL_METADATA.authorization));
    if (!match)
      return reject(
        'token_missing',
        status.UNAUTHENTICATED,
        'a bearer token is required (authorization metadata)',
        peer,
      );
    let principal: Principal;
    try {
      principal = await deps.tokens.verify(match[1]!);
    } catch (error) {
      if (!isAuthError(error)) throw error;
      return reject('token_invalid', status.UNAUTHENTICATED, `token not acceptable: ${error.reason}`, peer);
    }
    return { principal, requestId: requestIdFrom(call.metadata) };
  };
}
