// Value combinations every chart test renders. Each one must lint, render, validate
// against the Kubernetes schemas and hold every invariant in lib/invariants.ts.
import type { Chart, RenderOptions } from './lib/helm.ts';

export interface Scenario extends RenderOptions {
  name: string;
  chart: Chart;
}

const MONITORING_API = ['monitoring.coreos.com/v1'];
/** The production values shipped with the chart, then what a user's own file adds. */
export const PRODUCTION = ['charts/patient-mesh/values-production.yaml', 'tests/charts/values/production.yaml'];

export const SCENARIOS: Scenario[] = [
  { name: 'patient-api defaults', chart: 'patient-api' },
  { name: 'patient-rpc defaults', chart: 'patient-rpc' },
  { name: 'umbrella defaults', chart: 'patient-mesh' },
  { name: 'umbrella, external database', chart: 'patient-mesh', valuesFiles: ['tests/charts/values/external-db.yaml'] },
  { name: 'umbrella, HPA off', chart: 'patient-mesh', valuesFiles: ['tests/charts/values/hpa-off.yaml'] },
  {
    name: 'umbrella, CloudNativePG Cluster with backups',
    chart: 'patient-mesh',
    valuesFiles: ['tests/charts/values/cloudnativepg.yaml'],
  },
  {
    name: 'umbrella, bundled PostgreSQL with its own password Secret',
    chart: 'patient-mesh',
    credentials: false,
    values: {
      postgresql: { auth: { existingSecret: 'pm-pg-credentials' } },
      'patient-rpc': { database: { existingSecret: 'pm-pg-credentials' } },
    },
  },
  { name: 'umbrella, Ingress and HTTPRoute', chart: 'patient-mesh', valuesFiles: ['tests/charts/values/ingress.yaml'] },
  {
    name: 'umbrella, observability off (operator API present)',
    chart: 'patient-mesh',
    valuesFiles: ['tests/charts/values/observability-off.yaml'],
    apiVersions: MONITORING_API,
  },
  {
    name: 'umbrella, observability on (operator API present)',
    chart: 'patient-mesh',
    apiVersions: MONITORING_API,
    values: { global: { telemetry: { otlpEndpoint: 'http://jaeger.observability.svc:4318' } } },
  },
  {
    name: 'umbrella, values-production.yaml on Kubernetes 1.29 (exec preStop)',
    chart: 'patient-mesh',
    valuesFiles: PRODUCTION,
    kubeVersion: '1.29.0',
    apiVersions: MONITORING_API,
  },
  {
    name: 'umbrella, values-production.yaml on Kubernetes 1.31 (native sleep preStop)',
    chart: 'patient-mesh',
    valuesFiles: PRODUCTION,
    kubeVersion: '1.31.0',
    apiVersions: MONITORING_API,
  },
  { name: 'umbrella, Istio sidecar mesh', chart: 'patient-mesh', valuesFiles: ['tests/charts/values/mesh-istio.yaml'] },
  {
    name: 'umbrella, Linkerd sidecar mesh',
    chart: 'patient-mesh',
    valuesFiles: ['tests/charts/values/mesh-linkerd.yaml'],
  },
  {
    name: 'umbrella, own certificate Secrets and a trust bundle',
    chart: 'patient-mesh',
    valuesFiles: ['tests/charts/values/tls-existing-secret.yaml'],
  },
  { name: 'patient-rpc, Istio sidecar mesh', chart: 'patient-rpc', values: { mesh: { provider: 'istio' } } },
  {
    name: 'patient-rpc, audit signing key Secret and verifier key',
    chart: 'patient-rpc',
    values: {
      audit: {
        checkpoints: {
          signingKeySecret: '{{ .Release.Name }}-audit-key',
          verifierKey: 'patient-mesh/audit+0a1b2c3d+AXe7Pl0bqjb1E9t4N3hDW8ZVnD8V4sPUeLj96eN2kN0=',
        },
      },
    },
  },
  { name: 'patient-api, Linkerd sidecar mesh', chart: 'patient-api', values: { mesh: { provider: 'linkerd' } } },
  {
    name: 'umbrella on Kubernetes 1.28 (no native sidecars: no PostgreSQL reload sidecar)',
    chart: 'patient-mesh',
    kubeVersion: '1.28.0',
  },
  {
    name: 'umbrella, kind values (k8s/kind/values.yaml)',
    chart: 'patient-mesh',
    valuesFiles: ['k8s/kind/values.yaml'],
    values: { global: { image: { tag: 'abc1234' } } },
    apiVersions: MONITORING_API,
  },
];
