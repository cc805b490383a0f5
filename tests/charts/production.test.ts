// charts/patient-mesh/values-production.yaml, as shipped: it lints, renders, validates and
// holds the invariants by itself, and what it sets is what a production install needs —
// production mode (so the production guards apply), HPAs and PDBs with three pods at least,
// a CloudNativePG Cluster reached with verify-full, signed audit checkpoints, the monitoring
// release label, and the identity provider's keys instead of kind-up's dev JWKS Secret.
import { describe, expect, it } from 'vitest';
import { lint, render, renderError, type K8sObject } from './lib/helm.ts';
import { invariantViolations } from './lib/invariants.ts';
import { type Workload, named, ofKind, serviceConfig } from './lib/manifests.ts';
import { schemaErrors } from './lib/validate.ts';

const FILE = 'charts/patient-mesh/values-production.yaml';
const OPTIONS = { valuesFiles: [FILE], credentials: false, apiVersions: ['monitoring.coreos.com/v1'] };
const SERVICES = ['pm-patient-api', 'pm-patient-rpc'];

describe('values-production.yaml as shipped', () => {
  const objects = render('patient-mesh', OPTIONS);

  it('passes helm lint --strict, the Kubernetes and CRD schemas and every invariant', async () => {
    const result = lint('patient-mesh', OPTIONS);
    expect(result.stderr + result.stdout).toContain('0 chart(s) failed');
    expect(result.status).toBe(0);
    expect(await schemaErrors(objects)).toEqual([]);
    expect(invariantViolations(objects)).toEqual([]);
  });

  it('both services run in production mode, with mTLS between them and verify-full to PostgreSQL', () => {
    for (const name of SERVICES) {
      const config = serviceConfig(objects, name);
      expect(config['service']!['environment'], name).toBe('production');
      expect((config['tls'] as { mode: string }).mode, name).toBe('mtls');
    }
    expect((serviceConfig(objects, 'pm-patient-rpc')['database'] as { tls: { mode: string } }).tls.mode).toBe(
      'verify-full',
    );
  });

  it('the production guards apply: plaintext and unsigned audit checkpoints are refused', () => {
    expect(
      renderError('patient-mesh', { ...OPTIONS, values: { 'patient-rpc': { tls: { mode: 'plaintext' } } } }),
    ).toContain('tls.mode plaintext is refused when config.service.environment is production');
    expect(
      renderError('patient-mesh', {
        ...OPTIONS,
        values: { 'patient-rpc': { audit: { checkpoints: { signingKeySecret: '' } } } },
      }),
    ).toContain('production needs signed audit checkpoints');
  });

  it('three pods at least per service under an HPA, one voluntary eviction at a time', () => {
    expect(
      ofKind<K8sObject & { spec: { minReplicas: number; maxReplicas: number } }>(
        objects,
        'HorizontalPodAutoscaler',
      ).map((h) => [h.metadata.name, h.spec.minReplicas, h.spec.maxReplicas]),
    ).toEqual(SERVICES.map((s) => [s, 3, 12]));
    expect(
      ofKind<K8sObject & { spec: { maxUnavailable: number } }>(objects, 'PodDisruptionBudget').map((p) => [
        p.metadata.name,
        p.spec.maxUnavailable,
      ]),
    ).toEqual(SERVICES.map((s) => [s, 1]));
  });

  it('PostgreSQL is a three-instance CloudNativePG Cluster; no StatefulSet and no Secret rendered', () => {
    const cluster = named(objects, 'Cluster', 'pm-postgresql') as K8sObject & { spec: { instances: number } };
    expect(cluster.spec.instances).toBe(3);
    expect(ofKind(objects, 'StatefulSet')).toEqual([]);
    expect(ofKind(objects, 'Secret')).toEqual([]);
  });

  it('patient-rpc mounts the audit signing key Secret', () => {
    const pod = named<Workload>(objects, 'Deployment', 'pm-patient-rpc').spec.template.spec;
    expect(pod.volumes!.find((v) => v.name === 'audit-signing-key')?.secret?.secretName).toBe('pm-audit-signing-key');
  });

  it("tokens are verified with the identity provider's keys from a ConfigMap, never the dev JWKS Secret", () => {
    for (const name of SERVICES) {
      const jwks = named<Workload>(objects, 'Deployment', name).spec.template.spec.volumes!.find(
        (v) => v.name === 'jwks',
      );
      expect(jwks?.secret, name).toBeUndefined();
      expect(jwks?.configMap?.name, name).toBe('patient-mesh-jwks');
    }
  });

  it("every ServiceMonitor and PrometheusRule carries kube-prometheus-stack's release label", () => {
    const monitoring = [...ofKind(objects, 'ServiceMonitor'), ...ofKind(objects, 'PrometheusRule')];
    expect(monitoring).toHaveLength(4);
    for (const o of monitoring) expect(o.metadata.labels?.['release'], o.metadata.name).toBe('kube-prometheus-stack');
  });
});
