import { context, SpanKind, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { ScrubbingSpanProcessor } from './ScrubbingSpanProcessor.js';

const PATIENT = '0190f3a2-7c41-7d2e-9b1a-3f5e6d7c8b9a';
const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJkci13aG8ifQ.c2lnbmF0dXJl';

function tracerWithScrubbing() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    spanProcessors: [new ScrubbingSpanProcessor(new SimpleSpanProcessor(exporter))],
  });
  return { tracer: provider.getTracer('test'), exporter };
}

describe('ScrubbingSpanProcessor', () => {
  it('replaces ids in URLs, names and events, drops credential and patient keys', () => {
    const { tracer, exporter } = tracerWithScrubbing();
    const span = tracer.startSpan(
      `GET /api/v1/patients/${PATIENT}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.url': `http://127.0.0.1:8080/api/v1/patients/${PATIENT}?cursor=abc`,
          'url.full': `http://127.0.0.1:8080/api/v1/patients/${PATIENT}/questionnaires`,
          'url.path': `/api/v1/patients/${PATIENT}`,
          'http.target': `/api/v1/audit?patientId=${PATIENT}`,
          'http.route': '/api/v1/patients/:id',
          'http.request.header.authorization': [`Bearer ${TOKEN}`],
          'app.patient_id': PATIENT,
          'enduser.token': TOKEN,
          'rpc.method': 'GetPatient',
          'http.status_code': 200,
        },
      },
      context.active(),
    );
    span.addEvent('exception', { 'exception.message': `patient ${PATIENT} not found` });
    span.end();

    const [finished] = exporter.getFinishedSpans();
    expect(finished!.name).toBe('GET /api/v1/patients/:id');
    expect(finished!.attributes).toEqual({
      'http.url': 'http://127.0.0.1:8080/api/v1/patients/:id',
      'url.full': 'http://127.0.0.1:8080/api/v1/patients/:id/questionnaires',
      'url.path': '/api/v1/patients/:id',
      'http.target': '/api/v1/audit',
      'http.route': '/api/v1/patients/:id',
      'rpc.method': 'GetPatient',
      'http.status_code': 200,
    });
    expect(finished!.events[0]!.attributes).toEqual({ 'exception.message': 'patient :id not found' });
    expect(JSON.stringify([finished!.name, finished!.attributes, finished!.events])).not.toContain(PATIENT);
  });

  it('keeps the span context so children still link to their parent', () => {
    const { tracer, exporter } = tracerWithScrubbing();
    const parent = tracer.startSpan('parent');
    const child = tracer.startSpan('child', {}, trace.setSpan(context.active(), parent));
    child.end();
    parent.end();
    const [c, p] = exporter.getFinishedSpans();
    expect(c!.parentSpanContext?.spanId).toBe(p!.spanContext().spanId);
  });
});
