import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { CountingSpanExporter } from './CountingSpanExporter.js';
import { OverflowCountingSpanProcessor } from './OverflowCountingSpanProcessor.js';

/** An exporter that holds every export until released, like a collector that hangs. */
class StalledExporter implements SpanExporter {
  exported = 0;
  #pending: Array<() => void> = [];
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.#pending.push(() => {
      this.exported += spans.length;
      done({ code: ExportResultCode.SUCCESS });
    });
  }
  release(): void {
    for (const p of this.#pending.splice(0)) p();
  }
  shutdown = async () => {};
  forceFlush = async () => {};
}

describe('OverflowCountingSpanProcessor', () => {
  it('counts exactly the spans the batch queue drops while the exporter is stalled', async () => {
    const stalled = new StalledExporter();
    const exporter = new CountingSpanExporter(stalled);
    const maxQueueSize = 4;
    const overflow = new OverflowCountingSpanProcessor(
      new BatchSpanProcessor(exporter, { maxQueueSize, maxExportBatchSize: 4, scheduledDelayMillis: 60_000 }),
      exporter,
      maxQueueSize,
    );
    const tracer = new BasicTracerProvider({ spanProcessors: [overflow] }).getTracer('test');
    for (let i = 0; i < 20; i++) tracer.startSpan(`s${i}`).end();
    expect(overflow.overflowed).toBeGreaterThan(0);

    // Let everything through: what reached the exporter plus what was counted is all of it.
    for (let i = 0; i < 10 && stalled.exported + overflow.overflowed < 20; i++) {
      stalled.release();
      const flushed = overflow.forceFlush();
      stalled.release();
      await flushed;
    }
    expect(stalled.exported + overflow.overflowed).toBe(20);
    expect(exporter.failed).toBe(0);
  });

  it('counts failed exports', () => {
    const exporter = new CountingSpanExporter({
      export: (_spans, done) => done({ code: ExportResultCode.FAILED }),
      shutdown: async () => {},
    });
    const results: ExportResultCode[] = [];
    exporter.export([{} as ReadableSpan, {} as ReadableSpan], (r) => results.push(r.code));
    exporter.export([{} as ReadableSpan], (r) => results.push(r.code));
    expect(results).toEqual([ExportResultCode.FAILED, ExportResultCode.FAILED]);
    expect(exporter.failed).toBe(3);
    expect(exporter.received).toBe(3);
  });
});
