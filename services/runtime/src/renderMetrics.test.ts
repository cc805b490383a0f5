import { context, trace, ROOT_CONTEXT, type Context, type ContextManager, type SpanContext } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpMetrics, createRegistry } from './metrics.js';
import { renderMetrics } from './renderMetrics.js';

const OPENMETRICS = 'application/openmetrics-text; version=1.0.0,text/plain;version=0.0.4;q=0.5';
const SPAN: SpanContext = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 };

/** A synchronous context manager: enough for `context.with` around an observe call. */
class StackContextManager implements ContextManager {
  #stack: Context[] = [];
  active = () => this.#stack.at(-1) ?? ROOT_CONTEXT;
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    this.#stack.push(ctx);
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.#stack.pop();
    }
  }
  bind = <T>(_ctx: Context, target: T): T => target;
  enable = () => this;
  disable = () => this;
}

describe('renderMetrics', () => {
  beforeAll(() => context.setGlobalContextManager(new StackContextManager()));
  afterAll(() => context.disable());

  it('serves text by default and OpenMetrics with trace exemplars when asked', async () => {
    const registry = createRegistry('test');
    const http = createHttpMetrics(registry);
    const labels = { route: '/api/v1/patients/:id', method: 'GET', status_class: '2xx' };
    http.requests.inc(labels);
    // Without an active span: no exemplar. With one: its trace id.
    http.duration.observe(labels, 0.004);
    context.with(trace.setSpanContext(ROOT_CONTEXT, SPAN), () => http.duration.observe(labels, 0.04));

    const om = await renderMetrics(registry, OPENMETRICS);
    expect(om.contentType).toContain('application/openmetrics-text');
    expect(om.body).toMatch(
      /http_server_request_duration_seconds_bucket\{le="0.05",[^}]*\} 2 # \{trace_id="4bf92f3577b34da6a3ce929d0e0e4736"\} 0.04 /,
    );
    expect(om.body).toContain('http_server_requests_total{');
    expect(om.body.trimEnd().endsWith('# EOF')).toBe(true);

    const text = await renderMetrics(registry, 'text/plain');
    expect(text.contentType).toContain('text/plain');
    expect(text.body).toContain('# TYPE http_server_requests_total counter');
    expect(text.body).not.toContain('trace_id');
    expect(text.body).toMatch(/^otel_spans_dropped_total\{service="test"\} 0$/m);
  });

  it('keeps startTimer working on exemplar histograms', async () => {
    const registry = createRegistry('test');
    const http = createHttpMetrics(registry);
    const end = http.duration.startTimer({ route: '/r', method: 'GET' });
    end({ status_class: '2xx' });
    const text = (await renderMetrics(registry, undefined)).body;
    expect(text).toMatch(/http_server_request_duration_seconds_count\{[^}]*status_class="2xx"[^}]*\} 1$/m);
  });
});
