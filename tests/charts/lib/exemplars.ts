// The trace exemplars the services export, asked of services/runtime's own code: which
// histograms carry them (the metric factories' enableExemplars) and under which label the
// trace id goes (traceExemplarLabels, called inside a sampled span).
import type { Context, ContextManager } from '@opentelemetry/api';

/** Names of the histograms the runtime creates with exemplars (HTTP server, gRPC server and client). */
export async function exemplarHistograms(): Promise<string[]> {
  const { Registry, createGrpcMetrics, createHttpMetrics } = await import('../../../services/runtime/src/metrics.ts');
  const registry = new Registry();
  createHttpMetrics(registry);
  createGrpcMetrics(registry, 'server');
  createGrpcMetrics(registry, 'client');
  return registry
    .getMetricsAsArray()
    .filter((m) => (m as { enableExemplars?: boolean }).enableExemplars === true)
    .map((m) => m.name)
    .sort();
}

/**
 * Just enough of a context manager for `context.with` to make a span active synchronously
 * (the SDK's async-hooks one is not a dependency here, and nothing awaits inside).
 */
class StackContextManager implements ContextManager {
  constructor(private current: Context) {}
  active(): Context {
    return this.current;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    const previous = this.current;
    this.current = context;
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.current = previous;
    }
  }
  bind<T>(_context: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    return this;
  }
}

/** The exemplar label names the runtime attaches while a sampled span is active. */
export async function exemplarLabelNames(): Promise<string[]> {
  const { ROOT_CONTEXT, TraceFlags, context, trace } = await import('@opentelemetry/api');
  const { traceExemplarLabels } = await import('../../../services/runtime/src/telemetry/traceExemplars.ts');
  if (!context.setGlobalContextManager(new StackContextManager(ROOT_CONTEXT)))
    throw new Error('a global OpenTelemetry context manager is already registered');
  try {
    const span = trace.wrapSpanContext({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.SAMPLED,
    });
    return Object.keys(context.with(trace.setSpan(ROOT_CONTEXT, span), () => traceExemplarLabels()));
  } finally {
    context.disable();
  }
}
