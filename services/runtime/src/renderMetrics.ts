import { Registry } from 'prom-client';

export interface RenderedMetrics {
  contentType: string;
  body: string;
}

/** Per registry, the render in progress: content type and counter names are registry-wide. */
const rendering = new WeakMap<Registry, Promise<unknown>>();

/**
 * The exposition the scraper asked for: OpenMetrics (with exemplars) when its Accept
 * header names `application/openmetrics-text`, else the Prometheus text format.
 * prom-client picks the format per registry and, rendering OpenMetrics, renames
 * counters in place (drops `_total`); renders are serialised and names restored.
 */
export function renderMetrics(registry: Registry, accept: string | undefined): Promise<RenderedMetrics> {
  const openMetrics = (accept ?? '').includes('application/openmetrics-text');
  const render = (rendering.get(registry) ?? Promise.resolve()).then(async () => {
    if (!openMetrics) return { contentType: registry.contentType, body: await registry.metrics() };
    const counters = (registry.getMetricsAsArray() as unknown as { name: string; type: string }[]).filter(
      (m) => m.type === 'counter',
    );
    const names = counters.map((m) => m.name);
    const original = registry.contentType;
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as typeof original);
    try {
      return { contentType: Registry.OPENMETRICS_CONTENT_TYPE, body: await registry.metrics() };
    } finally {
      registry.setContentType(original);
      counters.forEach((m, i) => (m.name = names[i]!));
    }
  });
  rendering.set(
    registry,
    render.catch(() => undefined),
  );
  return render;
}
