export { loadConfig, type LoadConfigOptions } from './config/loadConfig.js';
export {
  adminSchema,
  authSchema,
  lifecycleSchema,
  logSchema,
  port,
  refineTls,
  serviceSchema,
  spiffeIdSchema,
  tlsBaseSchema,
  type AdminConfig,
  type AuthConfig,
  type TlsBaseConfig,
  type LifecycleConfig,
  type LogConfig,
  type ServiceConfig,
} from './config/commonSchemas.js';
export { ConfigError, isConfigError } from './errors/ConfigError.js';
export { createLogger, REDACT_PATHS, type Logger, type LoggerOptions } from './logger.js';
export {
  createGrpcMetrics,
  createHttpMetrics,
  createRegistry,
  LATENCY_BUCKETS,
  Registry,
  statusClass,
  zeroHttpRoutes,
  type GrpcMetrics,
  type HttpMetrics,
  type HttpRoute,
} from './metrics.js';
export { createAdminServer, type AdminServerDeps } from './adminServer.js';
export { faultRoutes, type FaultSettingsHolder } from './faultRoutes.js';
export { getTelemetry, type TelemetryHandle } from './telemetry/TelemetryHandle.js';
export { traceExemplarLabels } from './telemetry/traceExemplars.js';
export {
  createLifecycle,
  Lifecycle,
  type LifecycleDeps,
  type LifecycleOptions,
  type LifecycleState,
  type ReadinessCheck,
  type ShutdownStep,
} from './lifecycle/Lifecycle.js';
export { trackHttpServer, type DrainReport, type HttpDrain } from './lifecycle/trackHttpServer.js';
export { drainGrpcServer, type GrpcDrainOptions } from './lifecycle/drainGrpcServer.js';
export { AuthError, isAuthError } from './errors/AuthError.js';
export { createTokenVerifier, type TokenVerifier, type TokenVerifierOptions } from './auth/createTokenVerifier.js';
export { createWorkloadTls, type WorkloadTls, type WorkloadTlsDeps } from './tls/createWorkloadTls.js';
export { peerSpiffeId, spiffeIdOf } from './tls/spiffeId.js';
export { bootstrapService, type ServiceBase } from './bootstrapService.js';
