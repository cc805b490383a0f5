import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import {
  ACTOR_METADATA,
  loadPatientProto,
  type GrpcMetrics,
  type PatientServiceClient,
  type Principal,
} from '@patient-mesh/runtime';
import { ROUND_ROBIN_CHANNEL_OPTIONS } from '../discovery/index.js';

/** Per-call context: who asks, for which request, until when. */
export interface CallOptions {
  principal: Principal;
  requestId: string;
  /** Absolute deadline (epoch ms); becomes the gRPC deadline. */
  deadline: number;
  /** Aborting cancels the call (client went away, budget spent). */
  signal?: AbortSignal;
}

type UnaryMethod =
  'GetPatient' | 'ListPatients' | 'CreatePatient' | 'SubmitQuestionnaire' | 'ListAuditRecords' | 'GetImport';
type RequestOf<M extends UnaryMethod> = Parameters<PatientServiceClient[M]>[0];
type ResponseOf<M extends UnaryMethod> =
  Parameters<PatientServiceClient[M]> extends [unknown, infer Callback]
    ? Callback extends (e: null, r?: infer R) => void
      ? NonNullable<R>
      : never
    : never;

export interface PatientClient {
  call<M extends UnaryMethod>(method: M, request: RequestOf<M>, options: CallOptions): Promise<ResponseOf<M>>;
  /** The underlying grpc-js client, for streaming calls. */
  readonly raw: PatientServiceClient;
  close(): void;
}

export interface PatientClientDeps {
  metrics: GrpcMetrics;
}

/**
 * One grpc-js client (one channel, one HTTP/2 connection per patient-rpc endpoint) with
 * round-robin balancing over the endpoints the target's resolver reports.
 */
export function createPatientClient(target: string, deps: PatientClientDeps): PatientClient {
  const { PatientService } = loadPatientProto().patient.v1;
  const raw = new PatientService(target, credentials.createInsecure(), {
    ...ROUND_ROBIN_CHANNEL_OPTIONS,
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.enable_retries': 0,
    'grpc.initial_reconnect_backoff_ms': 200,
    'grpc.max_reconnect_backoff_ms': 5_000,
  });

  return {
    raw,
    call(method, request, options) {
      const metadata = new Metadata();
      metadata.set(ACTOR_METADATA.sub, options.principal.sub);
      metadata.set(ACTOR_METADATA.roles, options.principal.roles.join(','));
      metadata.set(ACTOR_METADATA.requestId, options.requestId);
      const end = deps.metrics.duration.startTimer({ grpc_method: method });
      deps.metrics.inFlight.inc({ grpc_method: method });
      return new Promise((resolve, reject) => {
        const done = (error: ServiceError | null, response?: unknown) => {
          const labels = { grpc_method: method, grpc_code: status[error?.code ?? status.OK] };
          end(labels);
          deps.metrics.handled.inc(labels);
          deps.metrics.inFlight.dec({ grpc_method: method });
          options.signal?.removeEventListener('abort', cancel);
          if (error) reject(error);
          else resolve(response as never);
        };
        const fn = raw[method].bind(raw) as unknown as (
          req: unknown,
          md: Metadata,
          opts: { deadline: number },
          cb: typeof done,
        ) => { cancel(): void };
        const call = fn(request, metadata, { deadline: options.deadline }, done);
        const cancel = () => call.cancel();
        if (options.signal?.aborted) cancel();
        else options.signal?.addEventListener('abort', cancel, { once: true });
      });
    },
    close: () => raw.close(),
  };
}
