import { isSpanContextValid, trace } from '@opentelemetry/api';
import type { Histogram, LabelValues, Registry } from 'prom-client';

/** `{ trace_id }` of the active span, or nothing when no sampled span is active. */
export function traceExemplarLabels(): Record<string, string> {
  const context = trace.getActiveSpan()?.spanContext();
  return context && isSpanContextValid(context) ? { trace_id: context.traceId } : {};
}

type ExemplarObservation<T extends string> = {
  labels?: LabelValues<T>;
  value: number;
  exemplarLabels?: LabelValues<string>;
};

/**
 * Registers a histogram created with `enableExemplars: true` and `registers: []` in
 * `registry`, keeping its usual `observe(labels, value)` signature and attaching the
 * active trace id as the exemplar. prom-client refuses exemplar metrics in a registry
 * of Prometheus text type at construction only; the registry stays text by default and
 * renders OpenMetrics, exemplars included, for scrapers that ask (see renderMetrics).
 */
export function withTraceExemplars<T extends string>(histogram: Histogram<T>, registry: Registry): Histogram<T> {
  registry.registerMetric(histogram);
  const observeWithExemplar = histogram.observe.bind(histogram) as (o: ExemplarObservation<T>) => void;
  histogram.observe = ((a: LabelValues<T> | number | ExemplarObservation<T>, b?: number): void => {
    const o: ExemplarObservation<T> =
      typeof a === 'number'
        ? { value: a }
        : typeof b === 'number'
          ? { labels: a as LabelValues<T>, value: b }
          : (a as ExemplarObservation<T>);
    observeWithExemplar({ ...o, exemplarLabels: { ...o.exemplarLabels, ...traceExemplarLabels() } });
  }) as Histogram<T>['observe'];
  return histogram;
}
