import { Server, ServerCredentials, ServerInterceptingCall, type ServerInterceptor } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { loadSync } from '@grpc/proto-loader';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import {
  loadPatientPackageDefinition,
  loadPatientProto,
  PROTO_LOADER_OPTIONS,
  type PatientServiceHandlers,
} from '@patient-mesh/contract';
import { watchTlsConnections, type TlsConnectionObserver } from './grpc/watchTlsConnections.js';

export const SERVICE_NAME = 'patient.v1.PatientService';

/** The per-call steps before a PatientService handler; createRpcServer puts them in order. */
export interface CallPath {
  /** Counts arrivals and calls cancelled unanswered (countArrivals). */
  arrivals: ServerInterceptor;
  /** Latency, errors or no answer, when fault injection is on (FaultInjector). */
  faults: ServerInterceptor;
  /** RED metrics of the calls the service handles (recordRpcMetrics). */
  metrics: ServerInterceptor;
  /** The peer's SPIFFE id and the user's token (authenticationGate). */
  authentication: ServerInterceptor;
}

export interface RpcServerOptions {
  /** The interceptors every PatientService call passes before its handler. */
  callPath: CallPath;
  /** mTLS credentials; insecure when absent (development, or behind a mesh sidecar). */
  credentials?: ServerCredentials;
  /** Serve grpc.reflection (generic clients discover the API); off in production by default. */
  reflection: boolean;
  /** GOAWAY to connections older than this (0: never). */
  maxConnectionAgeMs: number;
  /** Told of each TLS handshake, refused or verified. */
  tlsObserver?: TlsConnectionObserver;
}

export interface RpcServer {
  server: Server;
  /** Health for '' and patient.v1.PatientService: SERVING once ready, NOT_SERVING when draining. */
  setServing(serving: boolean): void;
  /** Binds and starts; resolves to the bound port. */
  listen(host: string, port: number): Promise<number>;
}

/** Applies `interceptor` to `service`'s methods only: health and reflection pass untouched. */
const forService =
  (service: string, interceptor: ServerInterceptor): ServerInterceptor =>
  (descriptor, call) =>
    descriptor.path.startsWith(`/${service}/`) ? interceptor(descriptor, call) : new ServerInterceptingCall(call);

/** The gRPC server: PatientService, grpc.health.v1.Health and, when asked, server reflection. */
export function createRpcServer(handlers: PatientServiceHandlers, options: RpcServerOptions): RpcServer {
  const { arrivals, faults, metrics, authentication } = options.callPath;
  const server = new Server({
    // A PatientService call passes these in order (the first sees it first, and its answer
    // last), then its handler, which is wrapped once on the audited path (auditedCall.ts):
    // verdict → role → handler → audit record → status.
    // 1. arrivals: every call that reached the server is counted, whatever happens next —
    //    faults and refusals included; a call ended unanswered counts as cancelled.
    // 2. faults: injected before the service's own metrics and checks, so an injected
    //    error or hang is counted by fault_injected_total, and the RED metrics describe
    //    only what the service itself answered (patient-api's client metrics show both).
    // 3. metrics: handled/duration/in-flight of every call that passes the faults,
    //    refusals by the gate included (their codes are part of the service's answers).
    // 4. authentication: last, next to the handler, so that the verdict it leaves for the
    //    handler (keyed by the call's metadata) is the one the handler reads; a call cancelled
    //    while it authenticates never reaches the handler.
    interceptors: [arrivals, faults, metrics, authentication].map((i) => forService(SERVICE_NAME, i)),
    // Pings keep idle api → rpc connections alive through conntrack and detect dead peers.
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.max_receive_message_length': 4 * 1024 * 1024,
    ...(options.maxConnectionAgeMs > 0 && { 'grpc.max_connection_age_ms': options.maxConnectionAgeMs }),
  });
  const definition = loadPatientPackageDefinition();
  server.addService(loadPatientProto(definition).patient.v1.PatientService.service, handlers);
  const health = new HealthImplementation({ '': 'NOT_SERVING', [SERVICE_NAME]: 'NOT_SERVING' });
  health.addToServer(server);
  if (options.reflection) {
    // Reflection describes every service served, so generic clients can discover health too.
    const healthDefinition = loadSync(healthProtoPath, PROTO_LOADER_OPTIONS);
    new ReflectionService({ ...definition, ...healthDefinition }).addToServer(server);
  }
  const credentials = options.credentials ?? ServerCredentials.createInsecure();

  return {
    server,
    setServing(serving) {
      const value = serving ? 'SERVING' : 'NOT_SERVING';
      health.setStatus('', value);
      health.setStatus(SERVICE_NAME, value);
    },
    listen: (host, port) => {
      const bind = () =>
        new Promise<number>((resolve, reject) => {
          const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
          server.bindAsync(address, credentials, (error, bound) => (error ? reject(error) : resolve(bound)));
        });
      return options.tlsObserver && credentials._isSecure() ? watchTlsConnections(bind, options.tlsObserver) : bind();
    },
  };
}
