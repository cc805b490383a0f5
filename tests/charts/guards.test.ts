// The charts refuse values that would deploy something broken, with a message that
// names the values to fix: template guards (fail) and values.schema.json.
import { describe, expect, it } from 'vitest';
import { renderError, type Chart } from './lib/helm.ts';

const cases: Array<[string, Chart, Record<string, unknown>, string]> = [
  [
    'drain budget over the grace period',
    'patient-api',
    { lifecycle: { terminationGracePeriodSeconds: 20 } },
    'lifecycle.shutdownTimeoutSeconds (20) + lifecycle.preStopSeconds (5) must be less than lifecycle.terminationGracePeriodSeconds (20)',
  ],
  [
    'a heap larger than the memory limit',
    'patient-rpc',
    { heap: { maxOldSpaceMb: 300 } },
    'heap.maxOldSpaceMb (300) + 2 x heap.maxSemiSpaceMb (8) + ~100 MB of process baseline = 416 MiB exceeds resources.limits.memory (384Mi)',
  ],
  [
    'a heap larger than a Gi memory limit',
    'patient-api',
    { resources: { limits: { memory: '1Gi' } }, heap: { maxOldSpaceMb: 1000 } },
    'exceeds resources.limits.memory (1Gi)',
  ],
  ['the latest tag (chart)', 'patient-api', { image: { tag: 'latest' } }, "at '/image/tag': 'not' failed"],
  [
    'the latest tag (global)',
    'patient-mesh',
    { global: { image: { tag: 'latest' } } },
    "at '/global/image/tag': 'not' failed",
  ],
  [
    'the latest tag for PostgreSQL',
    'patient-mesh',
    { postgresql: { image: { tag: 'latest' } } },
    "at '/postgresql/image/tag': 'not' failed",
  ],
  ['an unknown value key', 'patient-api', { replicas: 3 }, "additional properties 'replicas' not allowed"],
  [
    'an unknown config key (the service would refuse it)',
    'patient-rpc',
    { config: { grpc: { tls: true } } },
    "additional properties 'tls' not allowed",
  ],
  [
    'an unknown preStop mode',
    'patient-rpc',
    { lifecycle: { preStop: { mode: 'always' } } },
    "at '/lifecycle/preStop/mode'",
  ],
  [
    'both JWKS sources',
    'patient-api',
    { config: { auth: { jwksUrl: 'https://idp.example.com/jwks.json' } } },
    'set exactly one of config.auth.jwksFile and config.auth.jwksUrl',
  ],
  [
    'a JWKS file with nothing to mount',
    'patient-api',
    { auth: { jwksSecret: '' } },
    'config.auth.jwksFile needs auth.jwksSecret or auth.jwksConfigMap',
  ],
  [
    'a JWKS Secret and ConfigMap at once',
    'patient-api',
    { auth: { jwksConfigMap: 'keys' } },
    'set only one of auth.jwksSecret and auth.jwksConfigMap',
  ],
  [
    'HPA min above max',
    'patient-rpc',
    { autoscaling: { minReplicas: 5, maxReplicas: 3 } },
    'autoscaling.minReplicas must not exceed autoscaling.maxReplicas',
  ],
  [
    'no database at all',
    'patient-rpc',
    { database: { existingSecret: '' } },
    'set database.existingSecret (a Secret with the PostgreSQL URL)',
  ],
  [
    'external database without a URL Secret',
    'patient-mesh',
    { postgresql: { enabled: false } },
    'postgresql.enabled=false: set patient-rpc.database.existingSecret',
  ],
  [
    'own PostgreSQL password Secret without pointing patient-rpc at it',
    'patient-mesh',
    { postgresql: { auth: { existingSecret: 'my-pg' } } },
    'postgresql.auth.existingSecret=my-pg: also set patient-rpc.database.existingSecret',
  ],
  ['requests without limits', 'patient-api', { resources: { limits: null } }, "at '/resources'"],
];

describe('refused values', () => {
  it.each(cases)('%s', (_name, chart, values, message) => {
    expect(renderError(chart, { values })).toContain(message);
  });

  it.each(['patient-api', 'patient-rpc', 'patient-mesh'] as const)(
    '%s: Kubernetes older than 1.27 (no native gRPC probes, no pod-template-hash spreading)',
    (chart) => {
      expect(renderError(chart, { kubeVersion: '1.26.9' })).toContain('incompatible with Kubernetes v1.26.9');
    },
  );
});
