import { describe, expect, it } from 'vitest';
import { getTelemetry } from './TelemetryHandle.js';
import { tracingEnabled } from './startTelemetry.js';

describe('tracingEnabled', () => {
  it('is on only with an OTLP endpoint and not disabled', () => {
    expect(tracingEnabled({})).toBe(false);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: '' })).toBe(false);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' })).toBe(
      false,
    );
  });

  it('leaves a no-op handle when nothing was started', async () => {
    const handle = getTelemetry();
    expect(handle.enabled).toBe(false);
    expect(handle.droppedSpans()).toBe(0);
    await expect(handle.shutdown()).resolves.toBeUndefined();
  });
});
