import { describe, expect, it } from 'vitest';
import { createGrpcMetrics, createHttpMetrics, createRegistry, zeroHttpRoutes } from './metrics.js';
import { patientServiceMethods } from '@patient-mesh/contract';

/** The exposition's sample lines of `name` (and its _bucket/_sum/_count), without the service label. */
async function samples(registry: ReturnType<typeof createRegistry>, name: string): Promise<string[]> {
  return (await registry.metrics())
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name}_`) || l.startsWith(`${name} `))
    .map((l) => l.replace(/,?service="test"/, '').replace('{,', '{'));
}

describe('metrics before the first event', () => {
  it('a fresh registry renders every known gRPC method at 0 with code OK', async () => {
    const registry = createRegistry('test');
    const methods = patientServiceMethods().map((m) => m.name);
    createGrpcMetrics(registry, 'server', methods);

    const handled = await samples(registry, 'grpc_server_handled_total');
    expect(handled).toEqual(methods.map((m) => `grpc_server_handled_total{grpc_method="${m}",grpc_code="OK"} 0`));
    const counts = await samples(registry, 'grpc_server_handling_seconds_count');
    expect(counts).toHaveLength(methods.length);
    expect(await samples(registry, 'grpc_server_handling_seconds_bucket')).toContain(
      'grpc_server_handling_seconds_bucket{le="0.3",grpc_method="GetPatient",grpc_code="OK"} 0',
    );
    expect(await samples(registry, 'grpc_server_in_flight')).toContain(
      'grpc_server_in_flight{grpc_method="GetPatient"} 0',
    );
  });

  it('a fresh registry renders each route at 0 in its success class only', async () => {
    const registry = createRegistry('test');
    const http = createHttpMetrics(registry);
    zeroHttpRoutes(http, [
      { route: '/api/v1/patients/:id', method: 'GET' },
      { route: '/api/v1/patients', method: 'POST' },
    ]);

    expect(await samples(registry, 'http_server_requests_total')).toEqual([
      'http_server_requests_total{route="/api/v1/patients/:id",method="GET",status_class="2xx"} 0',
      'http_server_requests_total{route="/api/v1/patients",method="POST",status_class="2xx"} 0',
    ]);
    // The SLO's latency rule reads the le="0.3" bucket and the count.
    const duration = await samples(registry, 'http_server_request_duration_seconds');
    expect(duration).toContain(
      'http_server_request_duration_seconds_bucket{le="0.3",route="/api/v1/patients/:id",method="GET",status_class="2xx"} 0',
    );
    expect(duration.filter((l) => l.includes('_count{'))).toHaveLength(2);
  });

  it('a request adds to the zeroed series rather than making a new one', async () => {
    const registry = createRegistry('test');
    const http = createHttpMetrics(registry);
    zeroHttpRoutes(http, [{ route: '/r', method: 'GET' }]);
    http.requests.inc({ route: '/r', method: 'GET', status_class: '2xx' });
    expect(await samples(registry, 'http_server_requests_total')).toEqual([
      'http_server_requests_total{route="/r",method="GET",status_class="2xx"} 1',
    ]);
  });
});

describe('patientServiceMethods', () => {
  it('lists the proto methods, the client-streaming import as not unary', () => {
    const methods = patientServiceMethods();
    expect(methods).toContainEqual({ name: 'GetPatient', unary: true });
    expect(methods).toContainEqual({ name: 'ImportResponses', unary: false });
    expect(methods.filter((m) => m.unary).length).toBe(methods.length - 1);
  });
});
