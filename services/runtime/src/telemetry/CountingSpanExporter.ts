import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

/** Wraps an exporter to count spans it was given and those whose export failed (collector down, timeouts). */
export class CountingSpanExporter implements SpanExporter {
  received = 0;
  failed = 0;

  constructor(private readonly next: SpanExporter) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.received += spans.length;
    this.next.export(spans, (result) => {
      if (result.code !== ExportResultCode.SUCCESS) this.failed += spans.length;
      resultCallback(result);
    });
  }

  shutdown(): Promise<void> {
    return this.next.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.next.forceFlush?.() ?? Promise.resolve();
  }
}
