import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { scrubAttributes, scrubString } from './scrubAttributes.js';

/**
 * Cleans every finished span before it reaches the exporting processor: no patient id,
 * name or token leaves the process in a span name, attribute or event.
 */
export class ScrubbingSpanProcessor implements SpanProcessor {
  constructor(private readonly next: SpanProcessor) {}

  onStart(span: Span, parentContext: Context): void {
    this.next.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    // A finished span is immutable through its API; its fields are plain properties.
    const mutable = span as { -readonly [K in keyof ReadableSpan]: ReadableSpan[K] };
    mutable.name = scrubString(span.name);
    scrubAttributes(mutable.attributes);
    for (const event of span.events) if (event.attributes) scrubAttributes(event.attributes);
    for (const link of span.links) if (link.attributes) scrubAttributes(link.attributes);
    this.next.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.next.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.next.shutdown();
  }
}
