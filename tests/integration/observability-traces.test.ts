// Tracing end to end: both services export OTLP to a receiver in the test; one patient
// read is one trace HTTP server → gRPC client → gRPC server → pg, linked to its logs,
// and no exported byte carries the patient id or the token.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { request } from '../support/http.ts';
import { poll, startOtlpReceiver, type OtlpReceiver, type OtlpSpan } from '../support/otlpReceiver.ts';
import { apiEnv, createDatabase, ROOT, rpcEnv, startService, type ServiceProcess } from '../support/services.ts';
import { createTestKeys, type TestKeys } from '../support/tokens.ts';

const TELEMETRY = ['--import', join(ROOT, 'services', 'runtime', 'dist', 'telemetry.js')];
const SPAN_KIND = { SERVER: 2, CLIENT: 3 };

describe('distributed tracing', () => {
  let receiver: OtlpReceiver;
  let rpc: ServiceProcess;
  let api: ServiceProcess;
  let base: string;
  let token: string;
  let keys: TestKeys;

  beforeAll(async () => {
    keys = await createTestKeys();
    receiver = await startOtlpReceiver();
    const otel = (service: string) => ({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      // Export attempts give up quickly once the collector is gone (second test).
      OTEL_EXPORTER_OTLP_TIMEOUT: '1000',
      OTEL_RESOURCE_ATTRIBUTES: `deployment.environment=test`,
      POD_NAME: `${service}-0`,
      POD_NAMESPACE: 'observability-test',
    });
    const databaseUrl = await createDatabase(inject('postgresUrl'), `obs_traces_${Date.now()}`);
    rpc = await startService('patient-rpc', {
      env: rpcEnv(keys.jwksFile, {
        PM_LOG__LEVEL: 'debug',
        PM_SEED__PATIENTS: '3',
        PM_DATABASE__URL: databaseUrl,
        ...otel('patient-rpc'),
      }),
      nodeArgs: TELEMETRY,
    });
    api = await startService('patient-api', {
      // Shedding is off: on a loaded test machine a startup lag spike must not turn into 503s.
      env: apiEnv(`127.0.0.1:${rpc.ports.grpc}`, keys.jwksFile, {
        ...otel('patient-api'),
        PM_SHEDDING__ENABLED: 'false',
      }),
      nodeArgs: TELEMETRY,
    });
    base = `http://127.0.0.1:${api.ports.http}`;
    token = await keys.token({ sub: 'dr-trace', roles: ['clinician'] });
  });

  afterAll(async () => {
    // The collector is gone by now: the telemetry flush is bounded, the exit stays clean.
    const started = Date.now();
    expect(await api?.stop()).toBe(0);
    expect(await rpc?.stop()).toBe(0);
    expect(Date.now() - started).toBeLessThan(9_000);
    await receiver?.close();
  });

  it('links HTTP server, gRPC client, gRPC server and pg spans in one trace, and its logs', async () => {
    const list = await request(`${base}/api/v1/patients?limit=1`, { token });
    expect(list.status).toBe(200);
    const id = list.body.items[0].id as string;

    const res = await request(`${base}/api/v1/patients/${id}`, { token });
    expect(res.status, res.text).toBe(200);

    // The api's server span for this request, then every span of its trace.
    const server = await poll(
      () =>
        receiver.spans.find(
          (s) =>
            s.service === 'patient-api' &&
            s.kind === SPAN_KIND.SERVER &&
            /patients\/:id/.test(attr(s, 'http.route') ?? attr(s, 'http.target') ?? attr(s, 'url.path') ?? ''),
        ),
      200,
      'api server span',
    );
    const trace = () => receiver.spans.filter((s) => s.traceId === server.traceId);
    const rpcServer = await poll(
      () => trace().find((s) => s.service === 'patient-rpc' && s.kind === SPAN_KIND.SERVER),
      200,
      'rpc server span',
    );
    const pgSpan = await poll(
      () =>
        trace().find(
          (s) => s.service === 'patient-rpc' && (attr(s, 'db.system') ?? attr(s, 'db.system.name')) === 'postgresql',
        ),
      200,
      'pg span',
    );
    const grpcClient = trace().find((s) => s.service === 'patient-api' && s.kind === SPAN_KIND.CLIENT);
    expect(grpcClient, names(trace())).toBeDefined();
    expect(rpcServer.parentSpanId).toBe(grpcClient!.spanId);
    expect(ancestors(trace(), grpcClient!)).toContain(server.spanId);
    expect(ancestors(trace(), pgSpan)).toContain(rpcServer.spanId);
    expect(attr(rpcServer, 'rpc.method')).toBe('GetPatient');
    if (process.env['DEBUG_TRACES']) console.log(names(trace()));

    // Resource attributes from the downward-API variables and OTEL_RESOURCE_ATTRIBUTES.
    const resource = Object.fromEntries(server.resource.map((a) => [a.key, a.value['stringValue']]));
    expect(resource).toMatchObject({
      'service.name': 'patient-api',
      'service.version': expect.any(String),
      'k8s.pod.name': 'patient-api-0',
      'k8s.namespace.name': 'observability-test',
      'deployment.environment': 'test',
    });

    // The request's log lines carry its trace id.
    const logged = await poll(
      () => rpc.logs.find((r) => r.msg === 'call handled' && r['trace_id'] === server.traceId),
      200,
      'log line with trace_id',
    );
    expect(logged['span_id']).toMatch(/^[0-9a-f]{16}$/);

    // Business spans: the audit commit of this read, with its batch size.
    const auditSpan = await poll(() => trace().find((s) => s.name === 'audit.commit'), 200, 'audit span');
    expect(Number(attr(auditSpan, 'audit.batch_size'))).toBeGreaterThanOrEqual(1);

    // The audit record of this read carries the trace id of the active span.
    const auditor = await keys.token({ sub: 'auditor-trace', roles: ['auditor'] });
    const trail = await request(`${base}/api/v1/audit?patientId=${id}&limit=500`, { token: auditor });
    expect(trail.status).toBe(200);
    expect((trail.body.items as Array<{ traceId: string }>).map((r) => r.traceId)).toContain(server.traceId);

    // Scoring is a span of its own that names the instrument, never answers or the score.
    const body = { submissionId: randomUUID(), instrument: 'phq9', answers: [3, 3, 3, 3, 3, 3, 2, 0, 1] };
    const submitted = await request(`${base}/api/v1/patients/${id}/questionnaires`, { token, body });
    expect(submitted.status, submitted.text).toBe(201);
    const scoring = await poll(() => receiver.spans.find((s) => s.name === 'questionnaire.score'), 200, 'score span');
    expect(scoring.attributes.map((a) => a.key)).toEqual(['questionnaire.instrument']);
    expect(attr(scoring, 'questionnaire.instrument')).toMatch(/phq9/i);

    // Latency histograms carry the trace id as an exemplar, in OpenMetrics only; the text
    // format is unchanged afterwards (counters keep their _total names).
    const admin = `http://127.0.0.1:${api.ports.admin}/metrics`;
    const om = await fetch(admin, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
    expect(om.headers.get('content-type')).toContain('application/openmetrics-text');
    const omText = await om.text();
    expect(omText).toMatch(
      new RegExp(
        `http_server_request_duration_seconds_bucket\\{[^}]*route="/api/v1/patients/:id"[^}]*\\} \\d+ # \\{trace_id="${server.traceId}"\\}`,
      ),
    );
    expect(omText).toMatch(/grpc_client_handling_seconds_bucket\{[^}]*\} \d+ # \{trace_id="[0-9a-f]{32}"\}/);
    const text = await (await fetch(admin)).text();
    expect(text).toContain('# TYPE http_server_requests_total counter');
    expect(text).not.toContain('# {trace_id=');

    // Nothing exported names the patient or carries the token.
    const exported = receiver.bodies.join('\n');
    expect(exported).not.toContain(id);
    expect(exported).not.toContain(token);
    expect(exported).not.toContain(token.split('.')[2]!);
  });

  it('keeps answering when the collector is gone', async () => {
    await receiver.close();
    const started = Date.now();
    for (let i = 0; i < 20; i++) {
      const res = await request(`${base}/api/v1/patients?limit=1`, { token });
      expect(res.status, res.text).toBe(200);
    }
    expect(Date.now() - started).toBeLessThan(5_000);
    // The lost spans are counted once the exporter gives up on them.
    await poll(
      async () => {
        const text = await (await fetch(`http://127.0.0.1:${api.ports.admin}/metrics`)).text();
        return Number(/^otel_spans_dropped_total\{[^}]*\} (\d+)/m.exec(text)?.[1] ?? 0) > 0;
      },
      400,
      'otel_spans_dropped_total > 0',
    );
  });
});

function attr(span: OtlpSpan, key: string): string | undefined {
  const a = span.attributes.find((x) => x.key === key);
  if (!a) return undefined;
  const v = a.value['stringValue'] ?? a.value['intValue'] ?? a.value['boolValue'] ?? a.value['doubleValue'];
  return v === undefined ? undefined : String(v);
}

function ancestors(spans: OtlpSpan[], span: OtlpSpan): string[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const chain: string[] = [];
  let parent = span.parentSpanId;
  for (let i = 0; parent && i < 50; i++) {
    chain.push(parent);
    parent = byId.get(parent)?.parentSpanId;
  }
  return chain;
}

function names(spans: OtlpSpan[]): string {
  return spans.map((s) => `${s.service} ${s.spanId}<-${s.parentSpanId ?? '-'} kind=${s.kind} ${s.name}`).join('\n');
}
