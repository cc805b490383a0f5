import { ServerInterceptingCall, type Metadata, type ServerInterceptor } from '@grpc/grpc-js';
import type { AuthenticateCall, Caller } from '../authenticateCall.js';
import { isCallRejected } from '../CallRejected.js';
import { toStatus } from '../toRpcError.js';

/**
 * What authentication made of a call, for its handler: who it is for, or why it was
 * refused (a CallRejected, or an error of the token verifier itself).
 */
export type Verdict = { caller: Caller } | { refused: unknown };

const verdicts = new WeakMap<Metadata, Verdict>();

/**
 * The verdict on the call whose metadata this is. grpc-js has no per-call context on the
 * server; the metadata object is the one thing that travels from the interceptors to the
 * handler unchanged, so the verdict is keyed by it (and dies with it).
 */
export const verdictOf = (metadata: Metadata): Verdict | undefined => verdicts.get(metadata);

/**
 * The per-call gate: authenticates the peer (its SPIFFE id among the allowed clients) and
 * the user's token before the call goes on to its handler, and holds the call until then.
 * A refusal with nothing to record (a peer that is not authenticated itself: anonymous
 * callers cannot grow the audit trail) is answered here, and no handler code runs for it.
 * Every other refusal goes on with its verdict to the audited handler, which records the
 * denied attempt against the patient the request names and answers it like any failure.
 */
export function authenticationGate(authenticate: AuthenticateCall): ServerInterceptor {
  return (_descriptor, call) =>
    new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, pass) => {
            const incoming = { metadata, getPeer: () => call.getPeer(), getAuthContext: () => call.getAuthContext() };
            const goOn = (verdict: Verdict) => {
              verdicts.set(metadata, verdict);
              pass(metadata);
            };
            authenticate(incoming).then(
              (caller) => goOn({ caller }),
              (error: unknown) => {
                if (isCallRejected(error) && !error.audited) return call.sendStatus(toStatus(error));
                goOn({ refused: error });
              },
            );
          },
        }),
    });
}
