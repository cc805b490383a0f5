import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { getTelemetry } from './telemetry/TelemetryHandle.js';
import { withTraceExemplars } from './telemetry/traceExemplars.js';

export { Registry };

/** Latency buckets in seconds, dense around the 300 ms SLO threshold. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5];

/** A registry with Node's default process metrics. One per process; tests make their own. */
export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  new Counter({
    name: 'otel_spans_dropped_total',
    help: 'Trace spans lost because their export failed (0 while tracing is off).',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(getTelemetry().droppedSpans());
    },
  });
  return registry;
}

/** RED metrics of the HTTP server; labels are route templates and status classes only. */
export function createHttpMetrics(registry: Registry) {
  return {
    requests: new Counter({
      name: 'http_server_requests_total',
      help: 'HTTP requests handled, by route template, method and status class.',
      labelNames: ['route', 'method', 'status_class'] as const,
      registers: [registry],
    }),
    duration: withTraceExemplars(
      new Histogram({
        name: 'http_server_request_duration_seconds',
        help: 'HTTP request duration, by route template, method and status class.',
        labelNames: ['route', 'method', 'status_class'] as const,
        buckets: LATENCY_BUCKETS,
        registers: [],
        enableExemplars: true,
      }),
      registry,
    ),
    inFlight: new Gauge({
      name: 'http_server_requests_in_flight',
      help: 'HTTP requests being handled.',
      registers: [registry],
    }),
  };
}
export type HttpMetrics = ReturnType<typeof createHttpMetrics>;

/** A route template and the method it answers: the `route` and `method` labels of one endpoint. */
export interface HttpRoute {
  route: string;
  method: string;
}

/**
 * Starts each route's success series at 0 (status class 2xx), so request rates, ratios
 * and the SLO rules read 0 rather than nothing before the first request. The error
 * classes appear with the first error: the panels' ratios fall back to 0 without them,
 * and three classes per route would triple the histogram's series.
 */
export function zeroHttpRoutes(metrics: HttpMetrics, routes: Iterable<HttpRoute>): void {
  for (const { route, method } of routes) {
    const labels = { route, method, status_class: '2xx' };
    metrics.requests.inc(labels, 0);
    metrics.duration.zero(labels);
  }
}

/**
 * RED metrics of gRPC calls, server side or client side. Each of `methods` (names as the
 * proto declares them) starts at 0 with code OK, so rates and latency panels read 0
 * rather than nothing before its first call; other codes appear with their first call
 * (17 codes per method would multiply the histogram's series for codes most never see).
 */
export function createGrpcMetrics(registry: Registry, side: 'server' | 'client', methods: readonly string[] = []) {
  const metrics = {
    handled: new Counter({
      name: `grpc_${side}_handled_total`,
      help: `gRPC calls completed (${side} side), by method and status code.`,
      labelNames: ['grpc_method', 'grpc_code'] as const,
      registers: [registry],
    }),
    duration: withTraceExemplars(
      new Histogram({
        name: `grpc_${side}_handling_seconds`,
        help: `gRPC call duration (${side} side), by method and status code.`,
        labelNames: ['grpc_method', 'grpc_code'] as const,
        buckets: LATENCY_BUCKETS,
        registers: [],
        enableExemplars: true,
      }),
      registry,
    ),
    inFlight: new Gauge({
      name: `grpc_${side}_in_flight`,
      help: `gRPC calls in progress (${side} side).`,
      labelNames: ['grpc_method'] as const,
      registers: [registry],
    }),
  };
  for (const method of methods) {
    const labels = { grpc_method: method, grpc_code: 'OK' };
    metrics.handled.inc(labels, 0);
    metrics.duration.zero(labels);
    metrics.inFlight.set({ grpc_method: method }, 0);
  }
  return metrics;
}
export type GrpcMetrics = ReturnType<typeof createGrpcMetrics>;

/** Maps an HTTP status to its class label ("2xx"...). */
export const statusClass = (status: number): string => `${Math.floor(status / 100)}xx`;
