import { TraceFlags, type Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { CountingSpanExporter } from './CountingSpanExporter.js';

/**
 * Sits in front of a BatchSpanProcessor and counts the spans its bounded queue will drop:
 * sampled spans handed over while `maxQueueSize` spans are already waiting for the
 * exporter. The batch processor itself only logs them.
 */
export class OverflowCountingSpanProcessor implements SpanProcessor {
  overflowed = 0;
  #handedOver = 0;

  constructor(
    private readonly batch: SpanProcessor,
    private readonly exporter: CountingSpanExporter,
    private readonly maxQueueSize: number,
  ) {}

  onStart(span: Span, parentContext: Context): void {
    this.batch.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0) {
      const queued = this.#handedOver - this.exporter.received - this.overflowed;
      if (queued >= this.maxQueueSize) this.overflowed++;
      this.#handedOver++;
    }
    this.batch.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.batch.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.batch.shutdown();
  }
}
