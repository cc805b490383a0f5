// The charts refuse values that would deploy something broken, with a message that
// names the values to fix: template guards (fail) and values.schema.json.
import { describe, expect, it } from 'vitest';
import { renderError, type Chart, type RenderOptions } from './lib/helm.ts';

const cases: Array<[string, Chart, Record<string, unknown>, string, RenderOptions?]> = [
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
    { postgresql: { mode: 'external' } },
    'postgresql.mode=external: set patient-rpc.database.existingSecret to the Secret holding your database URL',
  ],
  [
    'own PostgreSQL password Secret without pointing patient-rpc at it',
    'patient-mesh',
    { postgresql: { auth: { existingSecret: 'my-pg' } } },
    'postgresql.auth.existingSecret=my-pg: also set patient-rpc.database.existingSecret',
    { credentials: false },
  ],
  [
    // helm template, Argo CD and Flux have no lookup: a generated password would change on every render.
    'the bundled PostgreSQL with no password and no password Secret',
    'patient-mesh',
    {},
    'postgresql.mode bundled needs the database password on every render (helm template, Argo CD and Flux cannot read a generated one back): set postgresql.auth.existingSecret to a Secret with keys password and url (e.g. from sealed-secrets or External Secrets), or postgresql.auth.password',
    { credentials: false },
  ],
  [
    'a PostgreSQL password and a password Secret at once',
    'patient-mesh',
    { postgresql: { auth: { existingSecret: 'my-pg' } }, 'patient-rpc': { database: { existingSecret: 'my-pg' } } },
    'set only one of postgresql.auth.password and postgresql.auth.existingSecret',
  ],
  ['an unknown database mode', 'patient-mesh', { postgresql: { mode: 'operator' } }, "at '/postgresql/mode'"],
  [
    'postgresql.enabled, which postgresql.mode replaced',
    'patient-mesh',
    { postgresql: { enabled: false } },
    "additional properties 'enabled' not allowed",
  ],
  [
    "CloudNativePG with patient-rpc still on the bundled database's Secrets",
    'patient-mesh',
    { postgresql: { mode: 'cloudnativepg' } },
    'postgresql.mode=cloudnativepg: patient-rpc connects with the operator\'s app Secret (key uri) and CA Secret (key ca.crt) of Cluster pm-postgresql: set patient-rpc.database.existingSecret="pm-postgresql-app", patient-rpc.database.key="uri", patient-rpc.database.tls.caSecret="pm-postgresql-ca"',
  ],
  [
    "CloudNativePG with patient-rpc's egress still to the bundled pods",
    'patient-mesh',
    {
      postgresql: { mode: 'cloudnativepg' },
      'patient-rpc': {
        database: { existingSecret: 'pm-postgresql-app', key: 'uri', tls: { caSecret: 'pm-postgresql-ca' } },
      },
    },
    "postgresql.mode=cloudnativepg: set patient-rpc.networkPolicy.egress.database.to to the Cluster's pods, [{podSelector: {matchLabels: {cnpg.io/cluster: pm-postgresql}}}]",
  ],
  [
    'a CloudNativePG image tagged latest',
    'patient-mesh',
    { postgresql: { cloudnativepg: { imageName: 'ghcr.io/cloudnative-pg/postgresql:latest' } } },
    "at '/postgresql/cloudnativepg/imageName'",
  ],
  [
    'an HTTPRoute with no Gateway to attach to',
    'patient-api',
    { httpRoute: { enabled: true } },
    'httpRoute.enabled needs httpRoute.parentRefs',
  ],
  ['requests without limits', 'patient-api', { resources: { limits: null } }, "at '/resources'"],
  [
    'plaintext in production (the service would refuse it)',
    'patient-rpc',
    { tls: { mode: 'plaintext' } },
    'tls.mode plaintext is refused when config.service.environment is production',
  ],
  [
    'mtls with neither an issuer nor a Secret',
    'patient-api',
    { tls: { issuerRef: { name: '' } } },
    'tls.mode mtls needs a certificate: set tls.issuerRef.name',
  ],
  ['an unknown tls mode', 'patient-api', { tls: { mode: 'tls' } }, "at '/tls/mode'"],
  ['an unknown mesh', 'patient-rpc', { mesh: { provider: 'consul' } }, "at '/mesh/provider'"],
  [
    'a peer id that is not a SPIFFE id',
    'patient-rpc',
    { config: { tls: { allowedClients: ['patient-api'] } } },
    "at '/config/tls/allowedClients/0'",
  ],
  [
    'a sidecar mesh without native sidecars',
    'patient-api',
    { mesh: { provider: 'linkerd' } },
    'mesh.provider linkerd needs Kubernetes >= 1.29',
    { kubeVersion: '1.28.3' },
  ],
  [
    'a database CA from both a Secret and a ConfigMap',
    'patient-rpc',
    { database: { tls: { caConfigMap: 'db-ca' } } },
    'set only one of database.tls.caSecret and database.tls.caConfigMap',
  ],
  [
    'verify-full with no CA to verify with',
    'patient-rpc',
    { database: { tls: { caSecret: '' } } },
    'config.database.tls.caFile needs database.tls.caSecret or database.tls.caConfigMap',
  ],
  [
    'an external database with the bundled CA',
    'patient-mesh',
    { postgresql: { mode: 'external' }, 'patient-rpc': { database: { existingSecret: 'db' } } },
    'postgresql.mode=external: set patient-rpc.database.tls.caSecret or caConfigMap',
  ],
  [
    'the bundled PostgreSQL without TLS while patient-rpc verifies it',
    'patient-mesh',
    { postgresql: { tls: { enabled: false } } },
    'postgresql.tls.enabled=false: the bundled PostgreSQL serves no TLS',
  ],
  [
    'a patient-rpc ServiceAccount patient-api does not expect',
    'patient-mesh',
    { 'patient-rpc': { serviceAccount: { name: 'store' } } },
    'patient-api expects patient-rpc\'s ServiceAccount "pm-patient-rpc", but patient-rpc runs as "store": set patient-api.tls.peerServiceAccount=store',
  ],
  [
    'a patient-api ServiceAccount patient-rpc does not expect',
    'patient-mesh',
    { 'patient-api': { fullnameOverride: 'gateway' } },
    'patient-rpc expects patient-api\'s ServiceAccount "pm-patient-api", but patient-api runs as "gateway"',
  ],
  [
    'two trust domains',
    'patient-mesh',
    { 'patient-rpc': { tls: { trustDomain: 'example.org' } } },
    'patient-api.tls.trustDomain (cluster.local) and patient-rpc.tls.trustDomain (example.org) differ',
  ],
  [
    'a mesh on one side only',
    'patient-mesh',
    { 'patient-api': { mesh: { provider: 'istio' } } },
    'patient-api.mesh.provider (istio) and patient-rpc.mesh.provider (none) differ',
  ],
  [
    'different JWKS in the two services',
    'patient-mesh',
    { 'patient-rpc': { auth: { jwksSecret: 'other-keys' } } },
    'patient-api verifies tokens with Secret patient-mesh-jwks (key jwks.json) but patient-rpc with Secret other-keys (key jwks.json)',
  ],
  [
    'OTLP over HTTP to the gRPC port, for every service',
    'patient-mesh',
    { global: { telemetry: { otlpEndpoint: 'http://otel-collector.observability.svc:4317' } } },
    "global.telemetry.otlpEndpoint http://otel-collector.observability.svc:4317 is OTLP/gRPC's port 4317, but patient-mesh services export OTLP over HTTP: use the collector's OTLP/HTTP port 4318, e.g. http://otel-collector.observability.svc:4318",
  ],
  [
    'OTLP over HTTP to the gRPC port, for one service',
    'patient-rpc',
    { telemetry: { otlpEndpoint: 'http://jaeger-collector:4317/' } },
    "telemetry.otlpEndpoint http://jaeger-collector:4317/ is OTLP/gRPC's port 4317",
  ],
  [
    'a traces endpoint on the gRPC port in extraEnv',
    'patient-api',
    { extraEnv: [{ name: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', value: 'http://collector:4317/v1/traces' }] },
    "extraEnv OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://collector:4317/v1/traces is OTLP/gRPC's port 4317",
  ],
  [
    'the OTLP gRPC protocol, which the services do not ship',
    'patient-api',
    { extraEnv: [{ name: 'OTEL_EXPORTER_OTLP_PROTOCOL', value: 'grpc' }] },
    'extraEnv OTEL_EXPORTER_OTLP_PROTOCOL=grpc: patient-mesh services export OTLP over HTTP only',
  ],
];

describe('refused values', () => {
  it.each(cases)('%s', (_name, chart, values, message, options = {}) => {
    expect(renderError(chart, { ...options, values })).toContain(message);
  });

  it.each(['patient-api', 'patient-rpc', 'patient-mesh'] as const)(
    '%s: Kubernetes older than 1.27 (no native gRPC probes, no pod-template-hash spreading)',
    (chart) => {
      expect(renderError(chart, { kubeVersion: '1.26.9' })).toContain('incompatible with Kubernetes v1.26.9');
    },
  );
});
