// Every scenario: helm lint passes, the output parses, every object validates against
// its Kubernetes (or Prometheus Operator) schema, and every invariant holds.
import { beforeAll, describe, expect, it } from 'vitest';
import { lint, render, type K8sObject } from './lib/helm.ts';
import { invariantViolations } from './lib/invariants.ts';
import { ofKind, workloads, type Workload } from './lib/manifests.ts';
import { schemaErrors } from './lib/validate.ts';
import { PRODUCTION, SCENARIOS } from './scenarios.ts';

describe.each(SCENARIOS)('$name', (scenario) => {
  let objects: K8sObject[] = [];
  beforeAll(() => {
    objects = render(scenario.chart, scenario);
  });

  it('passes helm lint --strict', () => {
    const result = lint(scenario.chart, scenario);
    expect(result.stderr + result.stdout).toContain('0 chart(s) failed');
    expect(result.status).toBe(0);
  });

  it('validates against the Kubernetes schemas', async () => {
    expect(await schemaErrors(objects)).toEqual([]);
  });

  it('holds every invariant', () => {
    expect(invariantViolations(objects)).toEqual([]);
  });

  it('renders at least one workload with a Service and a NetworkPolicy', () => {
    expect(workloads(objects).length).toBeGreaterThan(0);
    expect(ofKind(objects, 'Service').length).toBeGreaterThan(0);
    expect(ofKind(objects, 'NetworkPolicy').length).toBeGreaterThan(0);
  });
});

describe('scenario specifics', () => {
  it('external database: no PostgreSQL objects, rpc reads the URL from the named Secret', () => {
    const objects = render('patient-mesh', { valuesFiles: ['tests/charts/values/external-db.yaml'] });
    expect(objects.filter((o) => o.metadata.name.includes('postgresql'))).toEqual([]);
    const rpc = ofKind<Workload>(objects, 'Deployment').find((d) => d.metadata.name === 'pm-patient-rpc')!;
    const url = rpc.spec.template.spec.containers[0]!.env!.find((e) => e.name === 'PM_DATABASE__URL');
    expect(url?.valueFrom?.secretKeyRef).toEqual({ name: 'pm-external-db', key: 'dsn' });
  });

  it('HPA off: no HorizontalPodAutoscaler, Deployments carry replicaCount', () => {
    const objects = render('patient-mesh', { valuesFiles: ['tests/charts/values/hpa-off.yaml'] });
    expect(ofKind(objects, 'HorizontalPodAutoscaler')).toEqual([]);
    const replicas = Object.fromEntries(
      ofKind<Workload>(objects, 'Deployment').map((d) => [d.metadata.name, d.spec.replicas]),
    );
    expect(replicas).toEqual({ 'pm-patient-api': 3, 'pm-patient-rpc': 2 });
  });

  it('HPA on by default: autoscaling/v2 on CPU, Deployments leave replicas to it', () => {
    const objects = render('patient-mesh');
    const hpas = ofKind(objects, 'HorizontalPodAutoscaler');
    expect(hpas.map((h) => h.apiVersion)).toEqual(['autoscaling/v2', 'autoscaling/v2']);
    for (const d of ofKind<Workload>(objects, 'Deployment')) expect(d.spec.replicas).toBeUndefined();
  });

  it('Deployments roll one pod at a time without losing capacity (maxUnavailable 0, maxSurge 1)', () => {
    for (const d of ofKind<Workload>(render('patient-mesh'), 'Deployment')) {
      expect(d.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    }
  });

  it('global image registry and tag reach every service image; PostgreSQL stays pinned', () => {
    const objects = render('patient-mesh', { valuesFiles: PRODUCTION });
    const images = workloads(objects).flatMap((w) => w.spec.template.spec.containers.map((c) => c.image));
    expect(images.sort()).toEqual([
      'registry.example.com/patient-mesh/patient-api:1.4.2',
      'registry.example.com/patient-mesh/patient-rpc:1.4.2',
    ]);
    const bundled = workloads(render('patient-mesh')).flatMap((w) =>
      w.spec.template.spec.containers.map((c) => c.image),
    );
    expect(bundled).toContain('docker.io/library/postgres:17-bookworm');
  });
});
