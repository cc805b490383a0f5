// Loaded with `node --import` before the application, so instrumentation can patch
// modules before they are first imported. Tracing is configured only by the standard
// OTEL_* variables; with no OTLP endpoint set, nothing is started.
import { register } from 'node:module';
import { setTelemetry } from './telemetry/TelemetryHandle.js';
import { startTelemetry, tracingEnabled } from './telemetry/startTelemetry.js';

if (tracingEnabled(process.env)) {
  // ESM imports of express, grpc-js, pg and pino pass through this hook to be patched.
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  try {
    setTelemetry(await startTelemetry(process.env, process.argv[1]));
  } catch (error) {
    // Misconfigured tracing must not stop the service: run untraced.
    process.stderr.write(`telemetry: not started: ${error instanceof Error ? error.message : String(error)}\n`);
  }
}
