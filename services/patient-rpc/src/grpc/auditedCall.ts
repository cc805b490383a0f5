import {
  status,
  type handleClientStreamingCall,
  type handleUnaryCall,
  type Metadata,
  type sendUnaryData,
  type ServerReadableStream,
  type ServerUnaryCall,
} from '@grpc/grpc-js';
import type { Logger } from '@patient-mesh/runtime';
import { ACTION_ROLE, roleFor, type Action, type PatientServiceHandlers, type Principal } from '@patient-mesh/contract';
import type { AuditEntry } from '../domain/auditChain.js';
import { AuditUnavailable } from '../domain/errors/AuditUnavailable.js';
import { isStoreFailure } from '../store/StoreFailure.js';
import { deniedEntry } from './CallRejected.js';
import { traceIdFrom } from './callContext.js';
import { verdictOf, type Verdict } from './interceptors/authenticationGate.js';
import { RpcError } from './RpcError.js';
import { internalError, toRpcError, toStatus } from './toRpcError.js';

/** What a handler knows about its call. */
export interface CallContext {
  principal: Principal;
  requestId: string;
  /** Aborts when the client cancels or the deadline passes. */
  signal: AbortSignal;
}

export interface AuditedMethod<In, Res> {
  /** The operation; decides the role needed and the audit action. */
  action: Action;
  /**
   * Patient ids this call touched, one audit record each; [''] when none applies. `response`
   * is undefined when the call was refused or failed.
   */
  patientIds: (input: In, response: Res | undefined) => string[];
  /** The work: `input` is the request (unary) or the stream of request messages (client streaming). */
  handle: (input: In, ctx: CallContext) => Promise<Res>;
}

/** Where audit records go (AuditWriter: resolves once the record is committed). */
export interface AuditSink {
  append(entry: AuditEntry): Promise<void>;
}

export interface AuditedCallDeps {
  audit: AuditSink;
  logger: Logger;
  /** The authentication gate's verdict on a call; by default the one authenticationGate left. */
  verdictOf?: (metadata: Metadata) => Verdict | undefined;
}

type RequestOf<K extends string> = PatientServiceHandlers[K] extends handleUnaryCall<infer Req, infer _> ? Req : never;
type ResponseOf<K extends string> = PatientServiceHandlers[K] extends handleUnaryCall<infer _, infer Res> ? Res : never;
type StreamRequestOf<K extends string> =
  PatientServiceHandlers[K] extends handleClientStreamingCall<infer Req, infer _> ? Req : never;
type StreamResponseOf<K extends string> =
  PatientServiceHandlers[K] extends handleClientStreamingCall<infer _, infer Res> ? Res : never;

/** What the wrapper uses of a call, unary or client streaming. */
interface AuditedCall extends Pick<ServerUnaryCall<unknown, unknown>, 'metadata' | 'cancelled' | 'getDeadline'> {
  once(event: 'cancelled', listener: () => void): unknown;
  off(event: 'cancelled', listener: () => void): unknown;
}

const OUTCOME: Partial<Record<status, AuditEntry['outcome']>> = {
  [status.NOT_FOUND]: 'not_found',
  [status.INVALID_ARGUMENT]: 'invalid',
  [status.ALREADY_EXISTS]: 'conflict',
  [status.PERMISSION_DENIED]: 'denied',
};

/** A unary method on the one audited path (see `serve`). */
export function auditedUnary<K extends string>(
  method: K,
  spec: AuditedMethod<RequestOf<K>, ResponseOf<K>>,
  deps: AuditedCallDeps,
): handleUnaryCall<RequestOf<K>, ResponseOf<K>> {
  return (call, callback) => serve(method, call, call.request, spec, deps, callback);
}

/** A client-streaming method on the one audited path: the handler reads the stream itself. */
export function auditedClientStream<K extends string>(
  method: K,
  spec: AuditedMethod<ServerReadableStream<StreamRequestOf<K>, StreamResponseOf<K>>, StreamResponseOf<K>>,
  deps: AuditedCallDeps,
): handleClientStreamingCall<StreamRequestOf<K>, StreamResponseOf<K>> {
  return (call, callback) => serve(method, call, call, spec, deps, callback);
}

/**
 * The one path of every PatientService call once the interceptors let it through, so that
 * it answers at most once, on every path: takes the authentication gate's verdict, authorises
 * the action, runs the handler, appends one audit record per patient touched (refused and
 * failed attempts included) and only then answers, with the status toRpcError gives the
 * failure. An audit trail that cannot be written fails the call: no patient data leaves
 * unrecorded. A call its client cancelled, or whose deadline passed, while it was handled
 * is recorded `error` and not answered: grpc-js has ended it, and a client that retried it is
 * answered by the next call, which has the one `ok` record.
 */
function serve<In, Res>(
  method: string,
  call: AuditedCall,
  input: In,
  spec: AuditedMethod<In, Res>,
  deps: AuditedCallDeps,
  callback: sendUnaryData<Res>,
): void {
  const watch = watchCall(call);
  const seen = { requestId: '' };
  run(call, input, spec, deps, watch, seen).then(
    (response) => {
      handled(status.OK);
      if (watch.signal.aborted) return;
      return callback(null, response);
    },
    (error: unknown) => {
      const rpc = statusOf(error);
      handled(rpc.code);
      if (watch.signal.aborted) return;
      return callback(toStatus(rpc));
    },
  );

  function statusOf(error: unknown): RpcError {
    const rpc = toRpcError(error);
    if (!rpc) {
      deps.logger.error({ err: error, method }, 'unexpected error in handler');
      return internalError();
    }
    if (isStoreFailure(error) && rpc.edgeReason)
      deps.logger.warn({ err: error.cause, method, reason: rpc.edgeReason }, 'store failure in handler');
    return rpc;
  }

  function handled(code: status): void {
    // One line per call at debug level; carries trace_id/span_id when tracing is on.
    deps.logger.debug({ method, code: status[code], requestId: seen.requestId }, 'call handled');
  }
}

interface CallWatch {
  /** Aborts when the client cancels or the deadline passes; frozen once `stop` is called. */
  signal: AbortSignal;
  stop(): void;
}

/**
 * One controller per call: its client's cancellation and its deadline abort it, and the
 * remaining budget so bounds the database work (statements are cancelled past it). The
 * timer and listener go with `stop`, so nothing outlives the handler.
 */
function watchCall(call: AuditedCall): CallWatch {
  const controller = new AbortController();
  const onCancel = () => controller.abort(new RpcError(status.CANCELLED, 'call cancelled'));
  if (call.cancelled) onCancel();
  else call.once('cancelled', onCancel);
  const deadline = call.getDeadline();
  const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
  const timer = Number.isFinite(deadlineMs)
    ? setTimeout(
        () => controller.abort(new DOMException('deadline exceeded', 'TimeoutError')),
        Math.max(0, deadlineMs - Date.now()),
      ).unref()
    : undefined;
  return {
    signal: controller.signal,
    stop() {
      call.off('cancelled', onCancel);
      clearTimeout(timer);
    },
  };
}

async function run<In, Res>(
  call: AuditedCall,
  input: In,
  spec: AuditedMethod<In, Res>,
  deps: AuditedCallDeps,
  watch: CallWatch,
  seen: { requestId: string },
): Promise<Res> {
  try {
    const verdict = (deps.verdictOf ?? verdictOf)(call.metadata);
    if (!verdict) throw new Error('call reached its handler without an authentication verdict');
    if ('refused' in verdict) {
      const denied = deniedEntry(verdict.refused, spec.action);
      if (denied) await record(deps, spec.patientIds(input, undefined), denied);
      throw verdict.refused;
    }
    const { principal, requestId } = verdict.caller;
    seen.requestId = requestId;
    // The trace id is read here, not at the gate: a server span (tracing on) is active only
    // around the handler.
    const base = { actor: principal.sub, action: spec.action, requestId, traceId: traceIdFrom(call.metadata) };
    const role = roleFor(principal, spec.action);
    if (!role) {
      const roles = principal.roles.join(',') || 'none';
      await record(deps, spec.patientIds(input, undefined), { ...base, role: roles, outcome: 'denied' });
      throw new RpcError(status.PERMISSION_DENIED, `role ${ACTION_ROLE[spec.action]} required for ${spec.action}`);
    }

    let response: Res | undefined;
    let failure: unknown;
    try {
      response = await spec.handle(input, { principal, requestId, signal: watch.signal });
    } catch (error) {
      failure = error;
    } finally {
      watch.stop();
    }
    // A call cancelled by its client (or past its deadline) while it was handled gets no
    // answer, whatever the handler did: its record says so, not `ok`.
    if (failure === undefined && watch.signal.aborted) failure = watch.signal.reason;
    const outcome = failure === undefined ? 'ok' : (OUTCOME[toRpcError(failure)?.code ?? status.UNKNOWN] ?? 'error');
    await record(deps, spec.patientIds(input, response), { ...base, role, outcome });
    if (failure !== undefined) throw failure;
    return response as Res;
  } finally {
    watch.stop();
  }
}

async function record(
  deps: AuditedCallDeps,
  patientIds: string[],
  entry: Omit<AuditEntry, 'patientId'>,
): Promise<void> {
  try {
    await Promise.all(
      patientIds.map((patientId) => deps.audit.append({ ...entry, patientId: patientId.slice(0, 64) })),
    );
  } catch (error) {
    deps.logger.error({ err: isStoreFailure(error) ? error.cause : error }, 'audit append failed');
    throw new AuditUnavailable(error);
  }
}
