// Drain timing and probes: preStop shape per Kubernetes version and mode, the grace
// guard, and the probe wiring of both services.
import { describe, expect, it } from 'vitest';
import { render, renderError, type Chart } from './lib/helm.ts';
import { named, serviceConfig, type Workload } from './lib/manifests.ts';

function container(chart: Chart, name: string, options: Parameters<typeof render>[1] = {}) {
  const deployment = named<Workload>(render(chart, options), 'Deployment', name);
  return { pod: deployment.spec.template.spec, c: deployment.spec.template.spec.containers[0]! };
}

describe('preStop hook', () => {
  it.each([
    ['1.27.0', { exec: { command: ['/bin/sleep', '5'] } }],
    ['1.29.4', { exec: { command: ['/bin/sleep', '5'] } }],
    ['1.30.0', { sleep: { seconds: 5 } }],
    ['1.31.0', { sleep: { seconds: 5 } }],
    ['1.34.1', { sleep: { seconds: 5 } }],
  ])('mode auto on Kubernetes %s', (kubeVersion, preStop) => {
    for (const chart of ['patient-api', 'patient-rpc'] as const) {
      expect(container(chart, `pm-${chart}`, { kubeVersion }).c.lifecycle).toEqual({ preStop });
    }
  });

  it('mode auto treats provider pre-release versions (v1.30.2-gke.1) as 1.30', () => {
    expect(container('patient-api', 'pm-patient-api', { kubeVersion: 'v1.30.2-gke.1' }).c.lifecycle).toEqual({
      preStop: { sleep: { seconds: 5 } },
    });
  });

  it.each([
    ['sleep', '1.29.0', { preStop: { sleep: { seconds: 7 } } }],
    ['exec', '1.31.0', { preStop: { exec: { command: ['/bin/sleep', '7'] } } }],
    ['none', '1.31.0', undefined],
  ])('mode %s forces its shape (Kubernetes %s)', (mode, kubeVersion, lifecycle) => {
    const values = { lifecycle: { preStopSeconds: 7, preStop: { mode } } };
    expect(container('patient-rpc', 'pm-patient-rpc', { kubeVersion, values }).c.lifecycle).toEqual(lifecycle);
  });

  it('preStopSeconds 0 renders no hook', () => {
    expect(
      container('patient-api', 'pm-patient-api', { values: { lifecycle: { preStopSeconds: 0 } } }).c.lifecycle,
    ).toBeUndefined();
  });

  it('exec mode needs no shell: the command is /bin/sleep itself', () => {
    const { c } = container('patient-api', 'pm-patient-api', { kubeVersion: '1.29.0' });
    expect(c.lifecycle?.preStop?.exec?.command[0]).toBe('/bin/sleep');
  });
});

describe('grace period and the config lifecycle section', () => {
  it('pod grace, hook and config carry the same numbers', () => {
    const values = { lifecycle: { terminationGracePeriodSeconds: 50, preStopSeconds: 8, shutdownTimeoutSeconds: 35 } };
    for (const chart of ['patient-api', 'patient-rpc'] as const) {
      const objects = render(chart, { values, kubeVersion: '1.31.0' });
      const d = named<Workload>(objects, 'Deployment', `pm-${chart}`);
      expect(d.spec.template.spec.terminationGracePeriodSeconds).toBe(50);
      expect(d.spec.template.spec.containers[0]!.lifecycle).toEqual({ preStop: { sleep: { seconds: 8 } } });
      expect(serviceConfig(objects, `pm-${chart}`)['lifecycle']).toEqual({
        terminationGracePeriodSeconds: 50,
        preStopSeconds: 8,
        shutdownTimeoutSeconds: 35,
        idleSocketQuietMs: 1000,
      });
    }
  });

  it.each([
    [
      'patient-api',
      { shutdownTimeoutSeconds: 25, preStopSeconds: 5, terminationGracePeriodSeconds: 30 },
      '25',
      '5',
      '30',
    ],
    [
      'patient-rpc',
      { shutdownTimeoutSeconds: 20, preStopSeconds: 15, terminationGracePeriodSeconds: 30 },
      '20',
      '15',
      '30',
    ],
    [
      'patient-api',
      { shutdownTimeoutSeconds: 40, preStopSeconds: 5, terminationGracePeriodSeconds: 30 },
      '40',
      '5',
      '30',
    ],
  ] as const)('%s refuses shutdownTimeout + preStop >= grace (%o)', (chart, lifecycle, shutdown, preStop, grace) => {
    const error = renderError(chart, { values: { lifecycle } });
    expect(error).toContain(
      `lifecycle.shutdownTimeoutSeconds (${shutdown}) + lifecycle.preStopSeconds (${preStop}) must be less than lifecycle.terminationGracePeriodSeconds (${grace})`,
    );
  });

  it('the umbrella refuses it for a subchart too', () => {
    const error = renderError('patient-mesh', { values: { 'patient-rpc': { lifecycle: { preStopSeconds: 10 } } } });
    expect(error).toContain('lifecycle.shutdownTimeoutSeconds (20) + lifecycle.preStopSeconds (10) must be less than');
  });

  it('one second of slack is enough', () => {
    const values = { lifecycle: { shutdownTimeoutSeconds: 24, preStopSeconds: 5, terminationGracePeriodSeconds: 30 } };
    expect(() => render('patient-api', { values })).not.toThrow();
  });
});

describe('probes', () => {
  it('patient-api: startup and liveness on /livez, readiness on /readyz, all on the admin port', () => {
    const { c } = container('patient-api', 'pm-patient-api');
    expect(c.startupProbe?.httpGet).toEqual({ path: '/livez', port: 'admin' });
    expect(c.livenessProbe?.httpGet).toEqual({ path: '/livez', port: 'admin' });
    expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'admin' });
    expect(c.ports).toEqual([
      { name: 'http', containerPort: 8080, protocol: 'TCP' },
      { name: 'admin', containerPort: 9090, protocol: 'TCP' },
    ]);
  });

  it('patient-rpc: readiness over HTTP /readyz on the admin port by default (mtls)', () => {
    const { c } = container('patient-rpc', 'pm-patient-rpc');
    expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'admin' });
    expect(c.readinessProbe?.grpc).toBeUndefined();
    expect(c.startupProbe?.httpGet).toEqual({ path: '/livez', port: 'admin' });
    expect(c.livenessProbe?.httpGet).toEqual({ path: '/livez', port: 'admin' });
  });

  it('patient-rpc: native gRPC readiness where the gRPC port is plaintext to the kubelet', () => {
    const grpc = { probes: { readiness: { type: 'grpc' } } };
    for (const values of [
      { ...grpc, tls: { mode: 'plaintext' }, config: { service: { environment: 'development' } } },
      { ...grpc, mesh: { provider: 'istio' } },
    ]) {
      const { c } = container('patient-rpc', 'pm-patient-rpc', { values });
      expect(c.readinessProbe?.grpc).toEqual({ port: 50051, service: '' });
      expect(c.readinessProbe?.httpGet).toBeUndefined();
    }
  });

  it('patient-rpc: the gRPC probe can name a service and follows config.grpc.port', () => {
    const values = {
      probes: { readiness: { type: 'grpc', grpcService: 'patient.v1.PatientService' } },
      config: { grpc: { port: 6000 } },
      mesh: { provider: 'istio' },
    };
    const { c } = container('patient-rpc', 'pm-patient-rpc', { values });
    expect(c.readinessProbe?.grpc).toEqual({ port: 6000, service: 'patient.v1.PatientService' });
    expect(c.ports?.find((p) => p.name === 'grpc')?.containerPort).toBe(6000);
  });

  it.each([
    ['tls.mode mtls', {}, 'probes.readiness.type grpc cannot work with tls.mode mtls'],
    ['Linkerd', { mesh: { provider: 'linkerd' } }, 'probes.readiness.type grpc cannot work with mesh.provider linkerd'],
  ])('patient-rpc: a gRPC readiness probe is refused with %s, and says why', (_name, values, message) => {
    const error = renderError('patient-rpc', { values: { ...values, probes: { readiness: { type: 'grpc' } } } });
    expect(error).toContain(message);
  });
});
