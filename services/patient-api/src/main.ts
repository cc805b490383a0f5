import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { credentials } from '@grpc/grpc-js';
import {
  bootstrapService,
  createAdminServer,
  createGrpcMetrics,
  createHttpMetrics,
  createTokenVerifier,
  createWorkloadTls,
  faultRoutes,
  getTelemetry,
} from '@patient-mesh/runtime';
import { Gauge } from 'prom-client';
import { DISCOVERY_SCHEMES, registerDiscoveryResolvers } from './discovery/registerDiscoveryResolvers.js';
import { apiConfigSchema } from './config.js';
import { createApp } from './createApp.js';
import { createPatientClient } from './rpc/createPatientClient.js';
import { createResilience } from './rpc/resilience/createResilience.js';
import { unaryMethods } from './rpc/UnaryMethod.js';
import { guardServer } from './http/guardServer.js';
import { createLoadShedder } from './http/loadShedder.js';
import { apiFaultSettingsSchema, EventLoopStall } from './faults/EventLoopStall.js';
import { createRateLimiters } from './http/rateLimitMiddleware.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** The composition root: config → logger → metrics → rpc client → app → servers → lifecycle. */
async function main(): Promise<void> {
  const { config, logger, registry, lifecycle } = bootstrapService(
    'patient-api',
    apiConfigSchema,
    process.argv,
    process.env,
  );

  // The admin port answers probes and scrapes through the whole drain; it closes last.
  const faults = new EventLoopStall(config.faults.enabled, config.faults, logger);
  const admin = createAdminServer({
    lifecycle,
    registry,
    routes: faultRoutes(faults, apiFaultSettingsSchema, config.faults.adminToken),
  });
  admin.listen(config.admin.port, config.admin.host);
  await once(admin, 'listening');

  const endpoints = new Gauge({
    name: 'rpc_endpoints',
    help: 'patient-rpc endpoints the client balances over, by target (0 until the first call resolves it).',
    labelNames: ['target'] as const,
    registers: [registry],
  });
  // The resolvers registered here report under the target as configured; grpc-js's own
  // (dns:, plain host:port) report nothing, so the gauge has no series for those.
  if (DISCOVERY_SCHEMES.some((scheme) => config.rpc.target.startsWith(`${scheme}:`)))
    endpoints.set({ target: config.rpc.target }, 0);
  const discovery = {
    logger: logger.child({ component: 'discovery' }),
    onEndpoints: (count: number, target: string) => endpoints.set({ target }, count),
  };
  registerDiscoveryResolvers(discovery);
  if (config.rpc.target.startsWith('kubernetes:'))
    (await import('./discovery/registerKubernetesResolver.js')).registerKubernetesResolver(discovery);
  // mTLS to patient-rpc with this pod's workload certificate; patient-rpc must present one
  // of tls.serverIdentities. Plaintext only outside production (or under a sidecar mesh).
  let channelCredentials = credentials.createInsecure();
  let channelOptions: Record<string, string> = {};
  if (config.tls.mode === 'mtls') {
    const tls = createWorkloadTls(config.tls, { logger, registry });
    await tls.loaded;
    lifecycle.addReadinessCheck(() => tls.problem() ?? true);
    lifecycle.addCloseStep('tls', async () => tls.close());
    channelCredentials = tls.channelCredentials(config.tls.serverIdentities);
    channelOptions = tls.channelOptions;
  } else {
    logger.warn({ tlsMode: config.tls.mode }, `rpc connection without in-app TLS (tls.mode ${config.tls.mode})`);
  }
  // The unary methods are the ones called through the policies (imports stream on the raw client).
  const methods = unaryMethods();
  const resilience = createResilience(config.resilience, registry, methods);
  const rpc = createPatientClient(config.rpc.target, {
    metrics: createGrpcMetrics(registry, 'client', methods),
    resilience,
    credentials: channelCredentials,
    channelOptions,
  });
  const tokens = createTokenVerifier(config.auth, { logger: logger.child({ component: 'auth' }) });
  lifecycle.addCloseStep('auth', async () => tokens.close());
  const shedder = createLoadShedder(config.shedding, registry);
  const app = createApp({
    config: config.http,
    version,
    docs: config.http.docs ?? config.service.environment !== 'production',
    rateLimiters: createRateLimiters(config.rateLimit, registry),
    shedder,
    breakerRetryAfterSeconds: resilience.retryAfterSeconds,
    tokens,
    rpc,
    metrics: createHttpMetrics(registry),
    logger,
  });
  const server = createServer(
    // headersTimeout must exceed keepAliveTimeout; uploads may be long, so no requestTimeout.
    {
      keepAliveTimeout: config.http.keepAliveTimeoutMs,
      headersTimeout: config.http.keepAliveTimeoutMs + 1000,
      requestTimeout: 0,
    },
    app,
  );
  guardServer(server, { maxConnections: config.http.maxConnections, registry });
  lifecycle.addHttpServer('http', server);
  lifecycle.addCloseStep('rpc-client', async () => {
    shedder.stop();
    rpc.close();
  });
  server.listen(config.http.port, config.http.host);
  await once(server, 'listening');

  // Spans of the drain itself are flushed before the admin port (scrapes) goes away.
  lifecycle.addCloseStep('telemetry', () => getTelemetry().shutdown());
  lifecycle.addCloseStep('admin', async () => {
    admin.closeAllConnections();
    admin.close();
  });
  lifecycle.markReady();
  logger.info({ httpPort: boundPort(server), adminPort: boundPort(admin), rpcTarget: config.rpc.target }, 'listening');
}

function boundPort(server: Server): number {
  return (server.address() as AddressInfo).port;
}

main().catch((error: unknown) => {
  process.stderr.write(`patient-api: failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
