// The charts refuse values that would deploy something broken, with a message that
// names the values to fix: template guards (fail, required) and values.schema.json.
// A guard both service charts have (patient-common's, and the schema both generate) is
// tried on each of them; a guard only one chart has is tried on that chart alone.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { editedChart, renderError, type Chart, type RenderOptions } from './lib/helm.ts';

const SERVICES = ['patient-api', 'patient-rpc'] as const;
type Service = (typeof SERVICES)[number];

/** Where the two charts' values differ for the same guard. */
const OWN: Record<Service, { listener: string; peers: string }> = {
  'patient-api': { listener: 'http', peers: 'serverIdentities' },
  'patient-rpc': { listener: 'grpc', peers: 'allowedClients' },
};

interface Guard {
  name: string;
  /** The offending key as the message spells it. */
  key: string;
  values: Record<string, unknown>;
  /** What the error says besides the key (or the whole text, key included). */
  message: string;
  options?: RenderOptions;
}

const guard = (
  name: string,
  key: string,
  values: Record<string, unknown>,
  message: string,
  options?: RenderOptions,
): Guard => ({ name, key, values, message, ...(options ? { options } : {}) });

/** Guards of both service charts; `chart` is the one under test. */
const shared = (chart: Service): Guard[] => [
  // patient-common.validate (templates/_validate.tpl)
  guard(
    'drain budget over the grace period',
    'lifecycle.terminationGracePeriodSeconds',
    { lifecycle: { terminationGracePeriodSeconds: 20 } },
    'lifecycle.shutdownTimeoutSeconds (20) + lifecycle.preStopSeconds (5) must be less than lifecycle.terminationGracePeriodSeconds (20)',
  ),
  guard(
    'a heap larger than the memory limit',
    'heap.maxOldSpaceMb',
    { resources: { limits: { memory: '384Mi' } }, heap: { maxOldSpaceMb: 300 } },
    'heap.maxOldSpaceMb (300) + 2 x heap.maxSemiSpaceMb (8) + ~100 MB of process baseline = 416 MiB exceeds resources.limits.memory (384Mi)',
  ),
  guard(
    'a heap larger than a Gi memory limit',
    'resources.limits.memory',
    { resources: { limits: { memory: '1Gi' } }, heap: { maxOldSpaceMb: 1000 } },
    '= 1116 MiB exceeds resources.limits.memory (1Gi)',
  ),
  guard(
    'HPA min above max',
    'autoscaling.minReplicas',
    { autoscaling: { minReplicas: 5, maxReplicas: 3 } },
    'autoscaling.minReplicas must not exceed autoscaling.maxReplicas',
  ),
  // patient-common.jwks.validate
  guard(
    'both JWKS sources',
    'config.auth.jwksUrl',
    { config: { auth: { jwksUrl: 'https://idp.example.com/jwks.json' } } },
    'set exactly one of config.auth.jwksFile and config.auth.jwksUrl',
  ),
  guard(
    'no JWKS source at all',
    'config.auth.jwksFile',
    { config: { auth: { jwksFile: '' } } },
    'set exactly one of config.auth.jwksFile and config.auth.jwksUrl',
  ),
  guard(
    'a JWKS file with nothing to mount',
    'auth.jwksSecret',
    { auth: { jwksSecret: '' } },
    'config.auth.jwksFile needs auth.jwksSecret or auth.jwksConfigMap',
  ),
  guard(
    'a JWKS Secret and ConfigMap at once',
    'auth.jwksConfigMap',
    { auth: { jwksConfigMap: 'keys' } },
    'set only one of auth.jwksSecret and auth.jwksConfigMap',
  ),
  // patient-common.tls.validate
  guard(
    'plaintext in production (the service would refuse it)',
    'tls.mode plaintext',
    { tls: { mode: 'plaintext' } },
    'is refused when config.service.environment is production',
  ),
  guard(
    'mtls with neither an issuer nor a Secret',
    'tls.issuerRef.name',
    { tls: { issuerRef: { name: '' } } },
    'tls.mode mtls needs a certificate: set tls.issuerRef.name',
  ),
  // patient-common.mesh.validate
  guard(
    'a sidecar mesh without native sidecars',
    'mesh.provider linkerd',
    { mesh: { provider: 'linkerd' } },
    'needs Kubernetes >= 1.29 (native sidecars; this is v1.28.3)',
    { kubeVersion: '1.28.3' },
  ),
  guard(
    "Envoy's drain that does not fit the grace period",
    'mesh.istio.terminationDrainSeconds',
    { mesh: { provider: 'istio', istio: { terminationDrainSeconds: 5 } } },
    'lifecycle.shutdownTimeoutSeconds (20) + lifecycle.preStopSeconds (5) + mesh.istio.terminationDrainSeconds (5) must be less than lifecycle.terminationGracePeriodSeconds (30)',
  ),
  // patient-common.telemetry.validate
  guard(
    'OTLP over HTTP to the gRPC port',
    'telemetry.otlpEndpoint',
    { telemetry: { otlpEndpoint: 'http://jaeger-collector:4317/' } },
    "telemetry.otlpEndpoint http://jaeger-collector:4317/ is OTLP/gRPC's port 4317",
  ),
  guard(
    'OTLP over HTTP to the gRPC port, set for every service',
    'global.telemetry.otlpEndpoint',
    { global: { telemetry: { otlpEndpoint: 'http://otel-collector.observability.svc:4317' } } },
    "global.telemetry.otlpEndpoint http://otel-collector.observability.svc:4317 is OTLP/gRPC's port 4317, but patient-mesh services export OTLP over HTTP: use the collector's OTLP/HTTP port 4318, e.g. http://otel-collector.observability.svc:4318",
  ),
  guard(
    'a traces endpoint on the gRPC port in extraEnv',
    'extraEnv OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    { extraEnv: [{ name: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', value: 'http://collector:4317/v1/traces' }] },
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://collector:4317/v1/traces is OTLP/gRPC's port 4317",
  ),
  guard(
    'the OTLP gRPC protocol, which the services do not ship',
    'extraEnv OTEL_EXPORTER_OTLP_PROTOCOL',
    { extraEnv: [{ name: 'OTEL_EXPORTER_OTLP_PROTOCOL', value: 'grpc' }] },
    'OTEL_EXPORTER_OTLP_PROTOCOL=grpc: patient-mesh services export OTLP over HTTP only',
  ),
  // patient-common.tag, behind the schema's own refusal of the same tag
  guard(
    'the latest tag, past schema validation',
    'image.tag',
    { image: { tag: 'latest' } },
    'image tag "latest" is not allowed: pin a version (image.tag or global.image.tag)',
    { skipSchemaValidation: true },
  ),
  // values.schema.json (scripts/tools/chart-schemas.ts writes the same rules into both)
  guard('the latest tag', "'/image/tag'", { image: { tag: 'latest' } }, "at '/image/tag': 'not' failed"),
  guard(
    'the latest tag (global)',
    "'/global/image/tag'",
    { global: { image: { tag: 'latest' } } },
    "at '/global/image/tag': 'not' failed",
  ),
  guard('an unknown value key', "'replicas'", { replicas: 3 }, "additional properties 'replicas' not allowed"),
  guard(
    'an unknown config key (the service would refuse it)',
    `'/config/${OWN[chart].listener}'`,
    { config: { [OWN[chart].listener]: { tls: true } } },
    `at '/config/${OWN[chart].listener}': additional properties 'tls' not allowed`,
  ),
  guard(
    'an unknown preStop mode',
    "'/lifecycle/preStop/mode'",
    { lifecycle: { preStop: { mode: 'always' } } },
    "at '/lifecycle/preStop/mode': value must be one of",
  ),
  guard('requests without limits', "'/resources'", { resources: { limits: null } }, "at '/resources'"),
  guard('an unknown tls mode', "'/tls/mode'", { tls: { mode: 'tls' } }, "at '/tls/mode': value must be one of"),
  guard(
    'an unknown mesh',
    "'/mesh/provider'",
    { mesh: { provider: 'consul' } },
    "at '/mesh/provider': value must be one of",
  ),
  guard(
    'a peer id that is not a SPIFFE id',
    `'/config/tls/${OWN[chart].peers}/0'`,
    { config: { tls: { [OWN[chart].peers]: ['patient-api'] } } },
    `at '/config/tls/${OWN[chart].peers}/0': 'patient-api' does not match pattern`,
  ),
];

describe.each(SERVICES)('%s refuses (guards of both service charts)', (chart) => {
  it.each(shared(chart).map((g) => [g.name, g] as const))('%s', (_name, { key, values, message, options = {} }) => {
    const error = renderError(chart, { ...options, values });
    expect(error).toContain(key);
    expect(error).toContain(message);
  });

  // Guards on what the chart ships, tried on an edited copy of it.
  it('a rule file that is not YAML, named by its path', () => {
    const chartDir = editedChart(chart, (dir) => writeFileSync(join(dir, 'files/rules/broken.yaml'), 'groups: [\n'));
    const error = renderError(chart, { chartDir, values: { prometheusRule: { enabled: true } } });
    expect(error).toContain('files/rules/broken.yaml: error converting YAML to JSON');
  });

  it('a Chart.yaml without the component annotation, named by its key', () => {
    const chartDir = editedChart(chart, (dir) => {
      const file = join(dir, 'Chart.yaml');
      const text = readFileSync(file, 'utf8');
      const edited = text.replace(/^ {2}app\.kubernetes\.io\/component: .*\n/m, '');
      expect(edited).not.toBe(text);
      writeFileSync(file, edited);
    });
    expect(renderError(chart, { chartDir })).toContain('Chart.yaml: annotation app.kubernetes.io/component is missing');
  });
});

// Guards of one chart only: patient-api's HTTPRoute, patient-rpc's database and audit
// checkpoints, the umbrella's checks across its subcharts and of the bundled PostgreSQL.
// patient-rpc's other guards have their own files: audit checkpoints (production needs a
// signing key, a verifier key of another origin) in audit-checkpoints.test.ts, the gRPC
// readiness probe with mtls or Linkerd in lifecycle.test.ts.
const single: Array<[Chart, Guard]> = [
  [
    'patient-api',
    guard(
      'an HTTPRoute with no Gateway to attach to',
      'httpRoute.parentRefs',
      { httpRoute: { enabled: true } },
      'httpRoute.enabled needs httpRoute.parentRefs',
    ),
  ],
  [
    'patient-rpc',
    guard(
      'no database at all',
      'database.existingSecret',
      { database: { existingSecret: '' } },
      'set database.existingSecret (a Secret with the PostgreSQL URL) or, for a demo with one embedded store per pod, config.database.pgliteDir',
    ),
  ],
  [
    'patient-rpc',
    guard(
      'a database URL Secret and an embedded store at once',
      'config.database.pgliteDir',
      { config: { database: { pgliteDir: 'memory://' } } },
      'set only one of database.existingSecret and config.database.pgliteDir',
    ),
  ],
  [
    'patient-rpc',
    guard(
      'a database CA from both a Secret and a ConfigMap',
      'database.tls.caConfigMap',
      { database: { tls: { caConfigMap: 'db-ca' } } },
      'set only one of database.tls.caSecret and database.tls.caConfigMap',
    ),
  ],
  [
    'patient-rpc',
    guard(
      'verify-full with no CA to verify with',
      'database.tls.caSecret',
      { database: { tls: { caSecret: '' } } },
      'config.database.tls.caFile needs database.tls.caSecret or database.tls.caConfigMap',
    ),
  ],
  [
    'patient-mesh',
    guard(
      'the latest tag for PostgreSQL',
      "'/postgresql/image/tag'",
      { postgresql: { image: { tag: 'latest' } } },
      "at '/postgresql/image/tag': 'not' failed",
    ),
  ],
  [
    'patient-mesh',
    guard(
      'external database without a URL Secret',
      'patient-rpc.database.existingSecret',
      { postgresql: { mode: 'external' } },
      'postgresql.mode=external: set patient-rpc.database.existingSecret to the Secret holding your database URL',
    ),
  ],
  [
    'patient-mesh',
    guard(
      'own PostgreSQL password Secret without pointing patient-rpc at it',
      'patient-rpc.database.existingSecret',
      { postgresql: { auth: { existingSecret: 'my-pg' } } },
      'postgresql.auth.existingSecret=my-pg: also set patient-rpc.database.existingSecret',
      { credentials: false },
    ),
  ],
  [
    'patient-mesh',
    // helm template, Argo CD and Flux have no lookup: a generated password would change on every render.
    guard(
      'the bundled PostgreSQL with no password and no password Secret',
      'postgresql.auth.password',
      {},
      'postgresql.mode bundled needs the database password on every render (helm template, Argo CD and Flux cannot read a generated one back): set postgresql.auth.existingSecret to a Secret with keys password and url (e.g. from sealed-secrets or External Secrets), or postgresql.auth.password',
      { credentials: false },
    ),
  ],
  [
    'patient-mesh',
    guard(
      'a PostgreSQL password and a password Secret at once',
      'postgresql.auth.existingSecret',
      { postgresql: { auth: { existingSecret: 'my-pg' } }, 'patient-rpc': { database: { existingSecret: 'my-pg' } } },
      'set only one of postgresql.auth.password and postgresql.auth.existingSecret',
    ),
  ],
  [
    'patient-mesh',
    guard(
      'an unknown database mode',
      "'/postgresql/mode'",
      { postgresql: { mode: 'operator' } },
      "at '/postgresql/mode'",
    ),
  ],
  [
    'patient-mesh',
    guard(
      'postgresql.enabled, which postgresql.mode replaced',
      "'enabled'",
      { postgresql: { enabled: false } },
      "additional properties 'enabled' not allowed",
    ),
  ],
  [
    'patient-mesh',
    guard(
      "CloudNativePG with patient-rpc still on the bundled database's Secrets",
      'patient-rpc.database.existingSecret',
      { postgresql: { mode: 'cloudnativepg' } },
      'postgresql.mode=cloudnativepg: patient-rpc connects with the operator\'s app Secret (key uri) and CA Secret (key ca.crt) of Cluster pm-postgresql: set patient-rpc.database.existingSecret="pm-postgresql-app", patient-rpc.database.key="uri", patient-rpc.database.tls.caSecret="pm-postgresql-ca"',
    ),
  ],
  [
    'patient-mesh',
    guard(
      "CloudNativePG with patient-rpc's egress still to the bundled pods",
      'patient-rpc.networkPolicy.egress.database.to',
      {
        postgresql: { mode: 'cloudnativepg' },
        'patient-rpc': {
          database: { existingSecret: 'pm-postgresql-app', key: 'uri', tls: { caSecret: 'pm-postgresql-ca' } },
        },
      },
      "postgresql.mode=cloudnativepg: set patient-rpc.networkPolicy.egress.database.to to the Cluster's pods, [{podSelector: {matchLabels: {cnpg.io/cluster: pm-postgresql}}}]",
    ),
  ],
  [
    'patient-mesh',
    guard(
      'a CloudNativePG image tagged latest',
      "'/postgresql/cloudnativepg/imageName'",
      { postgresql: { cloudnativepg: { imageName: 'ghcr.io/cloudnative-pg/postgresql:latest' } } },
      "at '/postgresql/cloudnativepg/imageName'",
    ),
  ],
  [
    'patient-mesh',
    guard(
      'an external database with the bundled CA',
      'patient-rpc.database.tls.caSecret',
      { postgresql: { mode: 'external' }, 'patient-rpc': { database: { existingSecret: 'db' } } },
      'postgresql.mode=external: set patient-rpc.database.tls.caSecret or caConfigMap',
    ),
  ],
  [
    'patient-mesh',
    guard(
      'the bundled PostgreSQL without TLS while patient-rpc verifies it',
      'postgresql.tls.enabled',
      { postgresql: { tls: { enabled: false } } },
      'postgresql.tls.enabled=false: the bundled PostgreSQL serves no TLS',
    ),
  ],
  [
    'patient-mesh',
    guard(
      'a patient-rpc ServiceAccount patient-api does not expect',
      'patient-api.tls.peerServiceAccount',
      { 'patient-rpc': { serviceAccount: { name: 'store' } } },
      'patient-api expects patient-rpc\'s ServiceAccount "pm-patient-rpc", but patient-rpc runs as "store": set patient-api.tls.peerServiceAccount=store',
    ),
  ],
  [
    'patient-mesh',
    guard(
      'a patient-api ServiceAccount patient-rpc does not expect',
      'patient-rpc.tls.peerServiceAccount',
      { 'patient-api': { fullnameOverride: 'gateway' } },
      'patient-rpc expects patient-api\'s ServiceAccount "pm-patient-api", but patient-api runs as "gateway"',
    ),
  ],
  [
    'patient-mesh',
    guard(
      'two trust domains',
      'patient-rpc.tls.trustDomain',
      { 'patient-rpc': { tls: { trustDomain: 'example.org' } } },
      'patient-api.tls.trustDomain (cluster.local) and patient-rpc.tls.trustDomain (example.org) differ',
    ),
  ],
  [
    'patient-mesh',
    guard(
      'a mesh on one side only',
      'patient-api.mesh.provider',
      { 'patient-api': { mesh: { provider: 'istio' } } },
      'patient-api.mesh.provider (istio) and patient-rpc.mesh.provider (none) differ',
    ),
  ],
  [
    'patient-mesh',
    guard(
      'different JWKS in the two services',
      'Secret other-keys',
      { 'patient-rpc': { auth: { jwksSecret: 'other-keys' } } },
      'patient-api verifies tokens with Secret patient-mesh-jwks (key jwks.json) but patient-rpc with Secret other-keys (key jwks.json)',
    ),
  ],
  [
    'patient-mesh',
    guard(
      'OTLP over HTTP to the gRPC port, for every service',
      'global.telemetry.otlpEndpoint',
      { global: { telemetry: { otlpEndpoint: 'http://otel-collector.observability.svc:4317' } } },
      "global.telemetry.otlpEndpoint http://otel-collector.observability.svc:4317 is OTLP/gRPC's port 4317",
    ),
  ],
  [
    'patient-mesh',
    guard(
      'the latest tag (global)',
      "'/global/image/tag'",
      { global: { image: { tag: 'latest' } } },
      "at '/global/image/tag': 'not' failed",
    ),
  ],
];

describe('refused values (guards of one chart)', () => {
  it.each(single.map(([chart, g]) => [`${chart}: ${g.name}`, chart, g] as const))(
    '%s',
    (_name, chart, { key, values, message, options = {} }) => {
      const error = renderError(chart, { ...options, values });
      expect(error).toContain(key);
      expect(error).toContain(message);
    },
  );
});

describe('refused Kubernetes versions', () => {
  it.each(['patient-api', 'patient-rpc', 'patient-mesh'] as const)(
    '%s: Kubernetes older than 1.27 (no native gRPC probes, no pod-template-hash spreading)',
    (chart) => {
      expect(renderError(chart, { kubeVersion: '1.26.9' })).toContain('incompatible with Kubernetes v1.26.9');
    },
  );
});
