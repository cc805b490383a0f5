// Loaded with `node --import` before the application, so instrumentation can patch
// modules before they are first imported. Tracing is configured only by the standard
// OTEL_* variables; with no OTLP endpoint set, nothing is started.
export {};
