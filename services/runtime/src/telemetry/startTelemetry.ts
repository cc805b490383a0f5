import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { TelemetryHandle } from './TelemetryHandle.js';

/** The environment keys tracing reads (standard OTEL_* plus the downward-API names). */
export type TelemetryEnv = Record<string, string | undefined>;

/** Tracing is on only when an OTLP endpoint is configured. */
export function tracingEnabled(env: TelemetryEnv): boolean {
  if (env['OTEL_SDK_DISABLED'] === 'true') return false;
  return Boolean(env['OTEL_EXPORTER_OTLP_ENDPOINT'] || env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']);
}

/**
 * Starts the OpenTelemetry SDK: HTTP, express, gRPC, pg and pino instrumentation, W3C
 * trace context, spans scrubbed of patient ids and tokens, then batched to an OTLP
 * exporter (endpoint, protocol, sampler and batch limits from the standard OTEL_*
 * variables). Modules load only here, so a process without an endpoint pays nothing.
 */
export async function startTelemetry(env: TelemetryEnv, mainScript: string | undefined): Promise<TelemetryHandle> {
  const [
    { NodeSDK },
    { getNodeAutoInstrumentations },
    { envDetector, resourceFromAttributes },
    base,
    { W3CTraceContextPropagator },
    { ExpressLayerType },
  ] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/auto-instrumentations-node'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/core'),
    import('@opentelemetry/instrumentation-express'),
  ]);
  const { ScrubbingSpanProcessor } = await import('./ScrubbingSpanProcessor.js');
  const { CountingSpanExporter } = await import('./CountingSpanExporter.js');
  const { OverflowCountingSpanProcessor } = await import('./OverflowCountingSpanProcessor.js');

  const exporter = new CountingSpanExporter(await otlpExporter(env));
  // Bounded queue: when the collector is down, spans are dropped, requests never wait.
  const maxQueueSize = Number(env['OTEL_BSP_MAX_QUEUE_SIZE'] ?? 2048);
  const queue = new OverflowCountingSpanProcessor(
    new base.BatchSpanProcessor(exporter, {
      maxQueueSize,
      exportTimeoutMillis: Number(env['OTEL_BSP_EXPORT_TIMEOUT'] ?? 10_000),
    }),
    exporter,
    maxQueueSize,
  );
  const service = serviceOf(mainScript);
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({
      'service.name': env['OTEL_SERVICE_NAME'] ?? service.name,
      'service.version': service.version,
      ...(env['POD_NAME'] && { 'k8s.pod.name': env['POD_NAME'] }),
      ...(env['POD_NAMESPACE'] && { 'k8s.namespace.name': env['POD_NAMESPACE'] }),
      ...(env['NODE_NAME'] && { 'k8s.node.name': env['NODE_NAME'] }),
    }),
    // OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME, merged over the attributes above.
    resourceDetectors: [envDetector],
    spanProcessors: [new ScrubbingSpanProcessor(queue)],
    textMapPropagator: new W3CTraceContextPropagator(),
    // Metrics are prom-client's (admin port); logs go to stdout through pino.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      getNodeAutoInstrumentations({
        ...Object.fromEntries(NOISY.map((name) => [name, { enabled: false }])),
        '@opentelemetry/instrumentation-http': {
          // Probes and scrapes are not traced.
          ignoreIncomingRequestHook: (req) => /^\/(livez|readyz|metrics)\b/.test(req.url ?? ''),
        },
        // Route handlers and routers only: a span per middleware (auth, rate limit, body
        // parser...) costs more than it tells; the HTTP server span covers them.
        '@opentelemetry/instrumentation-express': { ignoreLayersType: [ExpressLayerType.MIDDLEWARE] },
        '@opentelemetry/instrumentation-pg': { enhancedDatabaseReporting: false, requireParentSpan: true },
        '@opentelemetry/instrumentation-pino': { disableLogSending: true },
      }),
    ],
  });
  sdk.start();

  let stopping: Promise<void> | undefined;
  return {
    enabled: true,
    droppedSpans: () => exporter.failed + queue.overflowed,
    // A collector that is down makes the exporter retry; the flush gets a bounded slice of
    // the grace period and whatever is still queued after it is dropped.
    shutdown: (timeoutMs = 2000) =>
      (stopping ??= Promise.race([
        sdk.shutdown().catch(() => undefined),
        new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref()),
      ])),
  };
}

/** Everything auto-instrumentations-node would enable that this system does not use or want. */
const NOISY = [
  '@opentelemetry/instrumentation-fs',
  '@opentelemetry/instrumentation-dns',
  '@opentelemetry/instrumentation-net',
  '@opentelemetry/instrumentation-undici',
  '@opentelemetry/instrumentation-runtime-node',
  '@opentelemetry/instrumentation-router',
  '@opentelemetry/instrumentation-connect',
  '@opentelemetry/instrumentation-generic-pool',
  '@opentelemetry/instrumentation-lru-memoizer',
  '@opentelemetry/instrumentation-bunyan',
  '@opentelemetry/instrumentation-winston',
] as const;

/** `http/json` or `http/protobuf` (the default; also used for `grpc`, which is not shipped). */
async function otlpExporter(env: TelemetryEnv): Promise<SpanExporter> {
  const protocol = env['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'] ?? env['OTEL_EXPORTER_OTLP_PROTOCOL'] ?? 'http/protobuf';
  if (protocol === 'http/json')
    return new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter();
  return new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter();
}

/** Service name and version from the entry script's package (`services/<name>/dist/main.js`). */
function serviceOf(mainScript: string | undefined): { name: string; version: string } {
  if (!mainScript) return { name: 'unknown_service:node', version: '' };
  const packageDir = dirname(dirname(mainScript));
  try {
    const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
      name?: string;
      version?: string;
    };
    return { name: (pkg.name ?? basename(packageDir)).replace(/^@[^/]+\//, ''), version: pkg.version ?? '' };
  } catch {
    return { name: basename(packageDir), version: '' };
  }
}
