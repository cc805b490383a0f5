/** What the composition root holds of tracing: flush-and-stop, and a drop count for metrics. */
export interface TelemetryHandle {
  /** True when an OTLP endpoint was configured and the SDK started. */
  readonly enabled: boolean;
  /** Flushes queued spans and stops the SDK; resolves (never rejects) within `timeoutMs` (default 2 s). */
  shutdown(timeoutMs?: number): Promise<void>;
  /** Spans lost so far: failed exports and queue overflow. */
  droppedSpans(): number;
}

const NOOP: TelemetryHandle = {
  enabled: false,
  shutdown: async () => {},
  droppedSpans: () => 0,
};

// `node --import telemetry.js` runs before main.ts; the handle crosses over in one global slot.
const SLOT = Symbol.for('patient-mesh.telemetry');
type Slot = { [SLOT]?: TelemetryHandle };

/** Records the process's handle; called once by the `--import` entry. */
export function setTelemetry(handle: TelemetryHandle): void {
  (globalThis as Slot)[SLOT] = handle;
}

/** The handle started by `--import telemetry.js`, or a no-op one when tracing is off. */
export function getTelemetry(): TelemetryHandle {
  return (globalThis as Slot)[SLOT] ?? NOOP;
}
