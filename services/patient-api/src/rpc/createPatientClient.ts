import { status, type ChannelCredentials, type Metadata, type ServiceError } from '@grpc/grpc-js';
import { type GrpcMetrics } from '@patient-mesh/runtime';
import { loadPatientProto } from '@patient-mesh/contract';
import { ROUND_ROBIN_CHANNEL_OPTIONS } from '../discovery/registerDiscoveryResolvers.js';
import { callMetadata } from './callMetadata.js';
import type { PatientClient } from './PatientClient.js';
import type { Resilience } from './resilience/createResilience.js';
import type { RequestOf, ResponseOf, UnaryMethod } from './UnaryMethod.js';

export interface PatientClientDeps {
  metrics: GrpcMetrics;
  resilience: Resilience;
  /** mTLS channel credentials (or insecure ones outside production, or under a mesh). */
  credentials: ChannelCredentials;
  /** Channel options that go with the credentials. */
  channelOptions?: Record<string, string>;
}

/**
 * One grpc-js client (one channel, one HTTP/2 connection per patient-rpc endpoint) with
 * round-robin balancing over the endpoints the target's resolver reports. Every unary call
 * runs under the resilience policies and the request's overall deadline: the deadline is
 * sent as the gRPC deadline and aborting it cancels the call.
 */
export function createPatientClient(target: string, deps: PatientClientDeps): PatientClient {
  const { PatientService } = loadPatientProto().patient.v1;
  const raw = new PatientService(target, deps.credentials, {
    ...ROUND_ROBIN_CHANNEL_OPTIONS,
    ...deps.channelOptions,
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.enable_retries': 0,
    'grpc.initial_reconnect_backoff_ms': 200,
    'grpc.max_reconnect_backoff_ms': 5_000,
  });

  function attempt<M extends UnaryMethod>(
    method: M,
    request: RequestOf<M>,
    metadata: Metadata,
    deadline: number,
    signal: AbortSignal,
  ): Promise<ResponseOf<M>> {
    const end = deps.metrics.duration.startTimer({ grpc_method: method });
    deps.metrics.inFlight.inc({ grpc_method: method });
    return new Promise((resolve, reject) => {
      const done = (error: ServiceError | null, response?: unknown) => {
        const labels = { grpc_method: method, grpc_code: status[error?.code ?? status.OK] };
        end(labels);
        deps.metrics.handled.inc(labels);
        deps.metrics.inFlight.dec({ grpc_method: method });
        signal.removeEventListener('abort', cancel);
        if (error) reject(error);
        else resolve(response as ResponseOf<M>);
      };
      const fn = raw[method].bind(raw) as unknown as (
        req: unknown,
        md: Metadata,
        opts: { deadline: number },
        cb: typeof done,
      ) => { cancel(): void };
      const call = fn(request, metadata, { deadline }, done);
      const cancel = () => call.cancel();
      if (signal.aborted) cancel();
      else signal.addEventListener('abort', cancel, { once: true });
    });
  }

  return {
    raw,
    call(method, request, options) {
      // The request's budget: one controller, aborted when the caller's signal aborts or the
      // deadline passes; its timer and listener go as soon as the call settles.
      const budget = new AbortController();
      let timedOut = false;
      const timer = setTimeout(
        () => {
          timedOut = true;
          budget.abort(new DOMException('request budget spent', 'TimeoutError'));
        },
        Math.max(0, options.deadline - Date.now()),
      ).unref();
      const { signal } = options;
      const onAbort = () => budget.abort(signal?.reason);
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
      const metadata = callMetadata(options.token, options.requestId);
      return deps.resilience
        .execute(
          method,
          (attemptSignal) =>
            attempt(
              method,
              request,
              metadata,
              Math.min(options.deadline, Date.now() + deps.resilience.attemptTimeoutMs),
              attemptSignal,
            ),
          budget.signal,
        )
        .catch((error: unknown) => {
          // A call cancelled because the request's budget ran out is a timeout, not CANCELLED.
          throw timedOut ? budget.signal.reason : error;
        })
        .finally(() => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        });
    },
    close: () => raw.close(),
  };
}
