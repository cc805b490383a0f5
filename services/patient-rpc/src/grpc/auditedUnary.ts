import { Metadata, status, type handleUnaryCall, type ServerUnaryCall } from '@grpc/grpc-js';
import { type GrpcMetrics, type Logger } from '@patient-mesh/runtime';
import { ACTION_ROLE, roleFor, type Action, type PatientServiceHandlers, type Principal } from '@patient-mesh/contract';
import type { AuditEntry } from '../audit/auditChain.js';
import { pgErrorCode, PG_QUERY_CANCELED } from '../store/Db.js';
import { isRpcError, RpcError } from './RpcError.js';
import type { AuthenticateCall } from './authenticateCall.js';
import { deniedEntry } from './CallRejected.js';
import { auditUnavailable, storeFailureError } from './storeFailure.js';

/** What a handler knows about its call. */
export interface CallContext {
  principal: Principal;
  requestId: string;
  /** Aborts when the client cancels or the deadline passes. */
  signal: AbortSignal;
  /** Milliseconds left before the client's deadline (Infinity without one). */
  remainingMs(): number;
}

export interface AuditedMethod<Req, Res> {
  /** The operation; decides the role needed and the audit action. */
  action: Action;
  /** Patient ids this call touched, one audit record each; [''] when none applies. */
  patientIds: (request: Req, response: Res | undefined) => string[];
  handle: (request: Req, ctx: CallContext) => Promise<Res>;
}

export interface AuditedUnaryDeps {
  authenticate: AuthenticateCall;
  audit: { append(entry: AuditEntry): Promise<void> };
  logger: Logger;
  metrics: GrpcMetrics;
}

type UnaryMethod = Exclude<keyof PatientServiceHandlers & string, 'ImportResponses'>;
type RequestOf<K extends UnaryMethod> =
  PatientServiceHandlers[K] extends handleUnaryCall<infer Req, infer _> ? Req : never;
type ResponseOf<K extends UnaryMethod> =
  PatientServiceHandlers[K] extends handleUnaryCall<infer _, infer Res> ? Res : never;

const OUTCOME: Partial<Record<status, AuditEntry['outcome']>> = {
  [status.NOT_FOUND]: 'not_found',
  [status.INVALID_ARGUMENT]: 'invalid',
  [status.ALREADY_EXISTS]: 'conflict',
  [status.PERMISSION_DENIED]: 'denied',
};

/**
 * Wraps a handler once so it answers exactly once, on every path: authenticates the peer
 * and the user's token, authorises the action, runs the handler, appends one audit record per
 * patient touched (denied and failed attempts included) and only then answers. An audit
 * trail that cannot be written fails the call: no patient data leaves unrecorded.
 */
export function auditedUnary<K extends UnaryMethod>(
  method: K,
  spec: AuditedMethod<RequestOf<K>, ResponseOf<K>>,
  deps: AuditedUnaryDeps,
): handleUnaryCall<RequestOf<K>, ResponseOf<K>> {
  return (call, callback) => {
    const end = deps.metrics.duration.startTimer({ grpc_method: method });
    deps.metrics.inFlight.inc({ grpc_method: method });
    let requestId = '';
    run(call, spec, deps, (id) => (requestId = id)).then(
      (response) => {
        finish(status.OK);
        callback(null, response);
      },
      (error: unknown) => {
        const rpc = toRpcError(error, method, deps.logger);
        finish(rpc.code);
        const trailer = new Metadata();
        if (rpc.field) trailer.set('x-field-path', rpc.field);
        if (rpc.edgeReason) trailer.set('x-reason', rpc.edgeReason);
        callback({ code: rpc.code, details: rpc.message, metadata: trailer });
      },
    );
    function finish(code: status): void {
      const labels = { grpc_method: method, grpc_code: status[code] };
      end(labels);
      deps.metrics.handled.inc(labels);
      deps.metrics.inFlight.dec({ grpc_method: method });
      // One line per call at debug level; carries trace_id/span_id when tracing is on.
      deps.logger.debug({ method, code: status[code], requestId }, 'call handled');
    }
  };
}

async function run<Req, Res>(
  call: ServerUnaryCall<Req, Res>,
  spec: AuditedMethod<Req, Res>,
  deps: AuditedUnaryDeps,
  onAuthenticated: (requestId: string) => void,
): Promise<Res> {
  let caller;
  try {
    caller = await deps.authenticate(call);
  } catch (error) {
    const denied = deniedEntry(error, spec.action);
    if (denied) await record(deps, spec.patientIds(call.request, undefined), denied);
    throw error;
  }
  const { principal, requestId, traceId } = caller;
  onAuthenticated(requestId);
  const base = { actor: principal.sub, action: spec.action, requestId, traceId };
  const role = roleFor(principal, spec.action);
  if (!role) {
    const roles = principal.roles.join(',') || 'none';
    await record(deps, spec.patientIds(call.request, undefined), { ...base, role: roles, outcome: 'denied' });
    throw new RpcError(status.PERMISSION_DENIED, `role ${ACTION_ROLE[spec.action]} required for ${spec.action}`);
  }

  const controller = new AbortController();
  const onCancel = () => controller.abort(new RpcError(status.CANCELLED, 'call cancelled'));
  call.once('cancelled', onCancel);
  const deadline = call.getDeadline();
  const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
  // The client's remaining budget bounds the database work: past it, statements are
  // cancelled. One controller and a timer cleared with the call (no timer left behind).
  const timer = Number.isFinite(deadlineMs)
    ? setTimeout(
        () => controller.abort(new DOMException('deadline exceeded', 'TimeoutError')),
        Math.max(0, deadlineMs - Date.now()),
      ).unref()
    : undefined;
  const ctx: CallContext = {
    principal,
    requestId: base.requestId,
    signal: controller.signal,
    remainingMs: () => (Number.isFinite(deadlineMs) ? deadlineMs - Date.now() : Infinity),
  };

  let response: Res | undefined;
  let failure: unknown;
  try {
    response = await spec.handle(call.request, ctx);
  } catch (error) {
    failure = error;
  } finally {
    call.removeListener('cancelled', onCancel);
    clearTimeout(timer);
  }
  // A call cancelled by its client (or past its deadline) while it was handled gets no
  // answer, whatever the handler did: its record says so, not `ok`. (A client that retries
  // the timed-out attempt is answered by the next call, which has the one `ok` record.)
  if (failure === undefined && controller.signal.aborted) failure = controller.signal.reason;
  const outcome = failure === undefined ? 'ok' : (isRpcError(failure) && OUTCOME[failure.code]) || 'error';
  await record(deps, spec.patientIds(call.request, response), { ...base, role, outcome });
  if (failure !== undefined) throw failure;
  return response as Res;
}

async function record(
  deps: AuditedUnaryDeps,
  patientIds: string[],
  entry: Omit<AuditEntry, 'patientId'>,
): Promise<void> {
  try {
    await Promise.all(
      patientIds.map((patientId) => deps.audit.append({ ...entry, patientId: patientId.slice(0, 64) })),
    );
  } catch (error) {
    deps.logger.error({ err: error }, 'audit append failed');
    throw auditUnavailable(error);
  }
}

function toRpcError(error: unknown, method: string, logger: Logger): RpcError {
  if (isRpcError(error)) return error;
  if (pgErrorCode(error) === PG_QUERY_CANCELED)
    return new RpcError(status.DEADLINE_EXCEEDED, 'database statement cancelled: deadline exceeded');
  const store = storeFailureError(error);
  if (store) {
    logger.warn({ err: error, method, reason: store.edgeReason }, 'store failure in handler');
    return store;
  }
  if (error instanceof DOMException && error.name === 'TimeoutError')
    return new RpcError(status.DEADLINE_EXCEEDED, 'deadline exceeded');
  logger.error({ err: error, method }, 'unexpected error in handler');
  return new RpcError(status.INTERNAL, 'internal error');
}
