// Writes charts/*/values.schema.json. Each service chart's `config` value is generated from
// the service's own zod config schema (descriptions included), so the chart accepts exactly
// what the service reads. The chart-only blocks the three charts share (image, lifecycle,
// probes, security, autoscaling, network policy, monitoring) are built here from one set of
// fragments. Every description is also the text of the values reference in
// docs/operations.md (scripts/tools/values-reference.ts).
//
// Usage: node scripts/tools/chart-schemas.ts          write the files (after npm run build)
//        node scripts/tools/chart-schemas.ts --check  exit 1 when a file is stale
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
// The services' own config schemas, compiled (npm run build): the chart's `config` value is
// generated from them, so its keys, bounds and descriptions are the service's.
import { apiConfigSchema } from '../../services/patient-api/dist/config.js';
import { rpcConfigSchema } from '../../services/patient-rpc/dist/config.js';

type Schema = Record<string, unknown>;

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

// ---------------------------------------------------------------- primitives

function str(description: string, extra: Schema = {}): Schema {
  return { type: 'string', description, ...extra };
}
function int(description: string, extra: Schema = {}): Schema {
  return { type: 'integer', description, ...extra };
}
function bool(description: string): Schema {
  return { type: 'boolean', description };
}
function obj(description: string, properties: Record<string, Schema>, extra: Schema = {}): Schema {
  return { type: 'object', description, additionalProperties: false, properties, ...extra };
}
/** A Kubernetes object passed through as is (validated by the API server, and by tests/charts). */
function k8s(description: string): Schema {
  return { type: 'object', description };
}
function list(description: string, items: Schema = { type: 'object' }): Schema {
  return { type: 'array', description, items };
}
function stringMap(description: string): Schema {
  return { type: 'object', description, additionalProperties: { type: 'string' } };
}
const port = (description: string): Schema => int(description, { minimum: 1, maximum: 65535 });
const seconds = (description: string, minimum = 0): Schema => int(description, { minimum });
const quantity = (description: string): Schema => ({
  type: ['string', 'integer', 'number'],
  description,
});
const notLatest = { not: { const: 'latest' } };
/** A signed-note key name (the audit log's origin): no whitespace, no "+". */
const KEY_NAME = '[^\\s+]+';

// ---------------------------------------------------------------- shared blocks

const global = obj(
  'Values shared with the umbrella chart; a non-empty chart-level value wins.',
  {
    image: obj('Image settings for every service.', {
      registry: str(
        'Registry prefix for every image: ghcr.io/<owner>, where the release workflow publishes them (default ghcr.io/patient-mesh; a fork sets its own owner); empty = none.',
      ),
      tag: str('Image tag for every service (kind-up sets the git short sha); "latest" is refused.', notLatest),
    }),
    telemetry: obj('Telemetry settings for every service.', {
      otlpEndpoint: str(
        'OTLP/HTTP endpoint for every service, e.g. http://jaeger.observability.svc:4318 (the gRPC port 4317 is refused); empty = tracing off.',
      ),
    }),
    monitoring: obj('Prometheus Operator objects of every service.', {
      labels: stringMap(
        'Labels on every ServiceMonitor and PrometheusRule, e.g. release: <kube-prometheus-stack release> for a Prometheus that selects by it; serviceMonitor.labels / prometheusRule.labels add to them.',
      ),
    }),
  },
  // Other charts may add globals of their own.
  { additionalProperties: true },
);

function image(repository: string): Schema {
  return obj(
    `Container image [registry/]repository:tag[@digest] (${repository}).`,
    {
      registry: str('Registry prefix, e.g. ghcr.io/acme; empty = global.image.registry.'),
      repository: str('Image repository.', { minLength: 1 }),
      tag: str('Image tag; empty = global.image.tag, else the chart appVersion. "latest" is refused.', notLatest),
      digest: str('Optional digest (sha256:...), appended after the tag.', { pattern: '^(sha256:[a-f0-9]{64})?$' }),
      pullPolicy: str('Image pull policy.', { enum: ['Always', 'IfNotPresent', 'Never'] }),
    },
    { required: ['repository'] },
  );
}

const common: Record<string, Schema> = {
  global,
  replicaCount: int('Replicas when the HorizontalPodAutoscaler is off (the HPA owns the count when on).', {
    minimum: 0,
  }),
  imagePullSecrets: list('Secrets for pulling the image ({name: ...} objects).'),
  nameOverride: str('Replaces the chart name in object names.'),
  fullnameOverride: str('Replaces <release>-<chart> in object names.'),
  // Helm gives every dependency a values key (with the globals), the library chart included.
  'patient-common': {
    type: 'object',
    description: 'Values of the patient-common library chart: it has none; Helm adds the key.',
  },
};

const lifecycle = obj(
  "Graceful drain timing. All but preStop is also written to the config file's lifecycle section. The chart refuses to render unless shutdownTimeoutSeconds + preStopSeconds < terminationGracePeriodSeconds.",
  {
    terminationGracePeriodSeconds: seconds('Pod terminationGracePeriodSeconds: preStop + drain must fit in it.', 1),
    preStopSeconds: seconds(
      'preStop sleep before SIGTERM, so endpoints are removed before the service stops accepting; 0 = no hook.',
    ),
    shutdownTimeoutSeconds: seconds(
      'In-app drain budget after SIGTERM; past it connections are cut and the exit code is 1.',
      1,
    ),
    idleSocketQuietMs: int('While draining, a keep-alive socket idle this long is closed.', {
      minimum: 0,
      maximum: 60000,
    }),
    preStop: obj('preStop hook shape.', {
      mode: str(
        'auto: native sleep action on Kubernetes >= 1.30, else exec /bin/sleep; sleep | exec force one; none renders no hook.',
        {
          enum: ['auto', 'sleep', 'exec', 'none'],
        },
      ),
    }),
  },
  { required: ['terminationGracePeriodSeconds', 'preStopSeconds', 'shutdownTimeoutSeconds'] },
);

const telemetry = obj(
  'Tracing (OpenTelemetry). k8s.pod/namespace/node resource attributes come from the downward API.',
  {
    serviceName: str('OTEL_SERVICE_NAME; empty = the chart name.'),
    otlpEndpoint: str(
      'OTEL_EXPORTER_OTLP_ENDPOINT, OTLP over HTTP (port 4318; 4317 is refused); empty = global.telemetry.otlpEndpoint, else tracing off.',
    ),
    resourceAttributes: stringMap('Extra OTEL_RESOURCE_ATTRIBUTES (key: value).'),
  },
);

const extraEnv = list(
  'Extra container env entries (EnvVar objects; PM_SECTION__KEY overrides a config key). Strings may use templates.',
);

const probeTiming = (description: string, path: boolean): Schema =>
  obj(description, {
    ...(path ? { path: str('HTTP path on the admin port.', { pattern: '^/' }) } : {}),
    initialDelaySeconds: seconds('initialDelaySeconds.'),
    periodSeconds: seconds('periodSeconds.', 1),
    timeoutSeconds: seconds('timeoutSeconds.', 1),
    successThreshold: int('successThreshold (1 for startup and liveness).', { minimum: 1 }),
    failureThreshold: int('failureThreshold.', { minimum: 1 }),
  });

function probes(readiness: Schema): Schema {
  return obj('Probes on the admin port: /livez for startup and liveness.', {
    startup: probeTiming('Startup probe (gates liveness while the service starts).', true),
    readiness,
    liveness: probeTiming('Liveness probe.', true),
  });
}

const heap = obj(
  'V8 heap of the Node.js process, passed as NODE_OPTIONS; with the process baseline (~100 MB) it must fit resources.limits.memory.',
  {
    maxOldSpaceMb: int('--max-old-space-size (MB): what survives garbage collection.', { minimum: 32, maximum: 65536 }),
    maxSemiSpaceMb: int('--max-semi-space-size (MB): the young generation is two of these.', {
      minimum: 1,
      maximum: 256,
    }),
  },
);

const resources = obj(
  'Container resources; both requests and limits are required.',
  {
    requests: obj(
      'Requests.',
      { cpu: quantity('CPU request.'), memory: quantity('Memory request.') },
      { required: ['cpu', 'memory'] },
    ),
    limits: obj(
      'Limits.',
      { cpu: quantity('CPU limit.'), memory: quantity('Memory limit.') },
      { required: ['memory'] },
    ),
  },
  { required: ['requests', 'limits'] },
);

const rollout: Record<string, Schema> = {
  strategy: obj('RollingUpdate parameters.', {
    maxUnavailable: { type: ['integer', 'string'], description: 'maxUnavailable (count or percentage).' },
    maxSurge: { type: ['integer', 'string'], description: 'maxSurge (count or percentage).' },
  }),
  minReadySeconds: seconds('minReadySeconds of the Deployment.'),
  revisionHistoryLimit: int('Old ReplicaSets kept.', { minimum: 0 }),
};

const security: Record<string, Schema> = {
  podSecurityContext: k8s('Pod securityContext (non-root numeric user, RuntimeDefault seccomp by default).'),
  securityContext: k8s(
    'Container securityContext (read-only root filesystem, no privilege escalation, all capabilities dropped by default).',
  ),
  tmpVolume: obj('emptyDir mounted at /tmp (the root filesystem is read-only).', {
    sizeLimit: quantity('emptyDir sizeLimit.'),
  }),
};

const serviceAccount = obj('ServiceAccount.', {
  create: bool('Create a ServiceAccount.'),
  name: str('Name to use; empty = the full name (or "default" when not created).'),
  annotations: stringMap('Annotations (e.g. workload identity).'),
});

const autoscaling = obj('HorizontalPodAutoscaler (autoscaling/v2) on CPU utilisation.', {
  enabled: bool('Render the HPA (the Deployment then has no replicas field).'),
  minReplicas: int('minReplicas.', { minimum: 1 }),
  maxReplicas: int('maxReplicas.', { minimum: 1 }),
  targetCPUUtilizationPercentage: int('Target average CPU utilisation, percent of requests.', {
    minimum: 1,
    maximum: 100,
  }),
  behavior: k8s('HPA behavior (scaleUp/scaleDown policies).'),
});

const podDisruptionBudget = obj('PodDisruptionBudget.', {
  enabled: bool('Render the PDB.'),
  maxUnavailable: {
    type: ['integer', 'string'],
    description: 'Pods that may be voluntarily evicted at once (count or percentage).',
  },
});

const scheduling: Record<string, Schema> = {
  topologySpreadConstraints: list(
    'topologySpreadConstraints; an entry without labelSelector gets the pod selector labels.',
  ),
  nodeSelector: stringMap('nodeSelector.'),
  tolerations: list('tolerations.'),
  affinity: k8s('affinity.'),
  priorityClassName: str('priorityClassName.'),
  podAnnotations: stringMap('Extra pod annotations.'),
  podLabels: stringMap('Extra pod labels (not used in selectors).'),
};

const peers = (description: string): Schema =>
  obj(description, { from: list('NetworkPolicyPeers (strings may use templates); empty = any source.') });
const egressTo = (description: string, ports: 'port' | 'ports' | 'none'): Schema =>
  obj(description, {
    ...(ports === 'port' ? { port: port('Destination port.') } : {}),
    ...(ports === 'ports'
      ? { ports: list('Destination ports.', { type: 'integer', minimum: 1, maximum: 65535 }) }
      : {}),
    to: list('NetworkPolicyPeers (strings may use templates); empty = any destination.'),
  });

const monitoringToggle = (what: string): Schema => ({
  description: `${what}: true, false, or auto (when the cluster serves monitoring.coreos.com/v1).`,
  enum: [true, false, 'auto'],
});

const serviceMonitor = obj(
  'Prometheus Operator ServiceMonitor on the admin port (job label = app.kubernetes.io/name).',
  {
    enabled: monitoringToggle('Render the ServiceMonitor'),
    interval: str('Scrape interval.', { pattern: '^[0-9]+(ms|s|m)$' }),
    scrapeTimeout: str('Scrape timeout.', { pattern: '^[0-9]+(ms|s|m)$' }),
    labels: stringMap('Extra labels (for a Prometheus serviceMonitorSelector), added to global.monitoring.labels.'),
  },
);
const prometheusRule = obj('PrometheusRule built from files/rules/*.yaml (Prometheus rule-file format).', {
  enabled: monitoringToggle('Render the PrometheusRule'),
  labels: stringMap('Extra labels (for a Prometheus ruleSelector), added to global.monitoring.labels.'),
});
const dashboards = obj('Grafana dashboards from files/dashboards/*.json, one ConfigMap each.', {
  enabled: bool('Render the dashboard ConfigMaps.'),
  label: str('Label the Grafana sidecar watches.', { minLength: 1 }),
  labelValue: str('Value of that label.'),
  folder: str('grafana_folder annotation (sidecar folderAnnotation).'),
});

// ---------------------------------------------------------------- trust: tokens, workload TLS, mesh

const jwksSource = obj('Where the JWKS (public keys) comes from, mounted at the directory of config.auth.jwksFile.', {
  jwksSecret: str('Secret holding the JWKS (may use templates).'),
  jwksConfigMap: str('ConfigMap holding the JWKS, instead of a Secret.'),
  jwksKey: str('Key of the JWKS in that Secret or ConfigMap.', { minLength: 1 }),
});

const duration = (description: string): Schema => str(description, { pattern: '^([0-9]+(\\.[0-9]+)?(h|m|s))+$' });

function tls(peer: string): Schema {
  return obj(
    'Workload identity: a cert-manager certificate with one URI SAN, the SPIFFE id of the pod ServiceAccount, mounted at /etc/patient-mesh/tls (no subPath) for in-app mTLS.',
    {
      mode: str(
        'mtls (in-app mutual TLS, the default), mesh (another mesh provides mTLS) or plaintext (development only, refused in production); mesh.provider istio|linkerd renders mesh whatever this says. Written to config.tls.mode.',
        { enum: ['mtls', 'mesh', 'plaintext'] },
      ),
      issuerRef: obj(
        'cert-manager issuer of the Certificate.',
        {
          name: str('Issuer or ClusterIssuer name (kind-up creates the ClusterIssuer patient-mesh-ca).'),
          kind: str('Issuer (namespaced) or ClusterIssuer.', { enum: ['Issuer', 'ClusterIssuer'] }),
          group: str('API group of the issuer (cert-manager.io, or an external issuer).', { minLength: 1 }),
        },
        { required: ['name', 'kind'] },
      ),
      duration: duration('Certificate lifetime, e.g. 24h.'),
      renewBefore: duration('Renewal this long before expiry, e.g. 8h (the expiry alerts assume 8h).'),
      privateKey: obj('Private key of the Certificate (a new key at every renewal with rotationPolicy Always).', {
        algorithm: str('Key algorithm.', { enum: ['ECDSA', 'RSA', 'Ed25519'] }),
        size: int('Key size: 256/384 for ECDSA, 2048+ for RSA.', { minimum: 0 }),
        encoding: str('Key encoding in tls.key.', { enum: ['PKCS1', 'PKCS8'] }),
        rotationPolicy: str('Always: a fresh key per certificate; Never keeps the first.', {
          enum: ['Always', 'Never'],
        }),
      }),
      trustDomain: str(
        'SPIFFE trust domain of the ids (spiffe://<trustDomain>/ns/<ns>/sa/<sa>); the same in both services.',
        {
          pattern: '^[a-z0-9._-]+$',
        },
      ),
      clusterDomain: str('Cluster DNS domain, for the <service>.<ns>.svc.<clusterDomain> DNS name.', {
        pattern: '^[a-z0-9.-]+$',
      }),
      existingSecret: str(
        'Secret with tls.crt, tls.key and ca.crt to mount instead of rendering a Certificate (may use templates).',
      ),
      trustBundle: obj('Trust anchors from a ConfigMap (trust-manager Bundle target) instead of the Secret ca.crt.', {
        configMap: str('ConfigMap name; empty = the Secret ca.crt (may use templates).'),
        key: str('Key of the PEM bundle in it.', { minLength: 1 }),
      }),
      peerServiceAccount: str(
        `${peer}'s ServiceAccount (its SPIFFE id is the peer identity); empty = <release>-${peer}, the umbrella chart's name (may use templates).`,
      ),
    },
  );
}

const mesh = obj(
  'Sidecar service mesh instead of in-app mTLS: the proxy (a native sidecar, Kubernetes >= 1.29) does mTLS, config.tls.mode renders as mesh, no Certificate.',
  {
    provider: str('none (in-app mTLS), istio or linkerd.', { enum: ['none', 'istio', 'linkerd'] }),
    istio: obj('Istio settings.', {
      terminationDrainSeconds: int(
        "Envoy's drain after the app has exited (proxy.istio.io/config terminationDrainDuration); preStop + shutdownTimeout + this must stay below the grace period.",
        { minimum: 0, maximum: 300 },
      ),
    }),
  },
);

const meshEgress = obj('Egress to the mesh control plane; only rendered with mesh.provider set.', {
  istio: egressTo('istiod (xDS, certificates).', 'ports'),
  linkerd: egressTo('Linkerd identity, destination and policy controllers.', 'ports'),
});

function chartSchema(title: string, properties: Record<string, Schema>): Schema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title,
    type: 'object',
    additionalProperties: false,
    properties,
  };
}

// ---------------------------------------------------------------- service config files

/** Keys of config.tls the chart derives from the tls and mesh values. */
const TLS_FILES = [
  ['tls', 'mode'],
  ['tls', 'certFile'],
  ['tls', 'keyFile'],
  ['tls', 'caFile'],
];

/**
 * The chart's `config` value: the input side of a service's zod schema (what a config file may
 * say), less the keys the chart writes itself. Every key must carry a description (zod
 * `.describe()`): it is the values reference's text, written once, next to the key's bounds.
 */
function chartConfig(schema: z.ZodType, description: string, chartOwned: string[][]): Schema {
  const json = z.toJSONSchema(schema, { io: 'input', target: 'draft-7', unrepresentable: 'any' }) as Schema;
  delete json.$schema;
  for (const path of chartOwned) {
    const parent = path
      .slice(0, -1)
      .reduce<Schema>((node, key) => (node.properties as Record<string, Schema>)[key]!, json);
    const properties = parent.properties as Record<string, Schema>;
    if (!(path.at(-1)! in properties)) throw new Error(`config.${path.join('.')}: no such key in the service schema`);
    delete properties[path.at(-1)!];
  }
  const undocumented: string[] = [];
  const visit = (node: Schema, path: string[]) => {
    for (const [key, child] of Object.entries((node.properties ?? {}) as Record<string, Schema>)) {
      if (typeof child.description !== 'string') undocumented.push(['config', ...path, key].join('.'));
      visit(child, [...path, key]);
    }
  };
  visit(json, []);
  if (undocumented.length > 0)
    throw new Error(`describe these keys in the service's zod schema (.describe()): ${undocumented.join(', ')}`);
  return { ...json, description };
}

// ---------------------------------------------------------------- patient-api

const apiSchema = chartSchema('patient-api values', {
  ...common,
  image: image('patient-api'),
  config: chartConfig(
    apiConfigSchema,
    'patient-api config file, rendered verbatim into the ConfigMap (strings may use templates). Keys map one-to-one to the service config (services/patient-api/src/config.ts), but for those the chart writes: lifecycle (from lifecycle) and tls mode and files (from tls and mesh); fault injection (faults) is for local test runs and is not offered.',
    [['lifecycle'], ...TLS_FILES, ['faults']],
  ),
  lifecycle,
  auth: jwksSource,
  tls: tls('patient-rpc'),
  mesh,
  telemetry,
  extraEnv,
  probes: probes(probeTiming('Readiness probe (/readyz: store reachable, not draining).', true)),
  heap,
  resources,
  ...rollout,
  ...security,
  serviceAccount,
  rbac: obj('RBAC for the kubernetes:/// resolver.', {
    create: bool('Create a Role (get/list/watch endpointslices in this namespace) and its RoleBinding.'),
  }),
  service: obj('Service for the API (http) and the admin port.', {
    type: str('Service type.', { enum: ['ClusterIP', 'NodePort', 'LoadBalancer'] }),
    port: port('Service port of http.'),
    nodePort: {
      type: ['integer', 'null'],
      minimum: 30000,
      maximum: 32767,
      description: 'nodePort of http when type is NodePort; null = allocated.',
    },
    adminPort: port('Service port of admin (metrics).'),
    annotations: stringMap('Service annotations.'),
  }),
  ingress: obj(
    'Ingress (networking.k8s.io/v1) to the http port; TLS ends at the controller. networkPolicy.ingress.http.from must admit the controller.',
    {
      enabled: bool('Render the Ingress.'),
      className: str('ingressClassName; empty = the cluster default class.'),
      annotations: stringMap('Ingress annotations (may use templates), e.g. cert-manager.io/cluster-issuer.'),
      hosts: list('Host names routed to the API; empty = every host.', {
        type: 'string',
        pattern: '^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
      }),
      path: str('Path routed to the API.', { pattern: '^/' }),
      pathType: str('Path match.', { enum: ['Prefix', 'Exact', 'ImplementationSpecific'] }),
      tls: obj('TLS at the controller.', {
        secretName: str('Secret (tls.crt, tls.key) for hosts (may use templates); empty = no tls section.'),
      }),
    },
  ),
  httpRoute: obj(
    "Gateway API HTTPRoute (gateway.networking.k8s.io/v1) to the http port. TLS is the Gateway listener's job; networkPolicy.ingress.http.from must admit the Gateway's data plane.",
    {
      enabled: bool('Render the HTTPRoute (needs parentRefs).'),
      annotations: stringMap('HTTPRoute annotations.'),
      parentRefs: list(
        'Gateways (and listeners) the route attaches to: {name, namespace, sectionName} (strings may use templates).',
      ),
      hostnames: list('Host names the route answers; empty = those of the listener.', { type: 'string' }),
      path: str('PathPrefix routed to the API.', { pattern: '^/' }),
    },
  ),
  autoscaling,
  podDisruptionBudget,
  ...scheduling,
  networkPolicy: obj('NetworkPolicy: default deny for these pods, then exactly these flows.', {
    enabled: bool('Render the NetworkPolicy.'),
    ingress: obj('Allowed sources.', {
      http: peers(
        "Clients of the HTTP port: with an Ingress or a Gateway, their controller's pods (e.g. namespaceSelector kubernetes.io/metadata.name: ingress-nginx); empty = any.",
      ),
      admin: peers('Scrapers of the admin port (Prometheus).'),
    }),
    egress: obj('Allowed destinations.', {
      rpc: egressTo('patient-rpc pods (gRPC).', 'port'),
      dns: egressTo('Cluster DNS (53/UDP and 53/TCP).', 'none'),
      otlp: egressTo('OTLP collector; only rendered when an OTLP endpoint is set.', 'ports'),
      kubeApi: egressTo('Kubernetes API server; only rendered for a kubernetes:/// rpc target.', 'ports'),
      mesh: meshEgress,
    }),
  }),
  serviceMonitor,
  prometheusRule,
  dashboards,
  tests: obj('helm test hook: GET tests.path with the bearer token from Secret tests.tokenSecret (key "token").', {
    enabled: bool('Render the test Pod.'),
    tokenSecret: str('Secret holding the token under key "token" (may use templates).', { minLength: 1 }),
    path: str('Path and query to call.', { pattern: '^/' }),
  }),
});

// ---------------------------------------------------------------- patient-rpc

const rpcSchema = chartSchema('patient-rpc values', {
  ...common,
  image: image('patient-rpc'),
  config: chartConfig(
    rpcConfigSchema,
    'patient-rpc config file, rendered verbatim into the ConfigMap (strings may use templates). Keys map one-to-one to the service config (services/patient-rpc/src/config.ts), but for those the chart writes: lifecycle (from lifecycle), tls mode and files (from tls and mesh) and database.url (from database.existingSecret); fault injection (faults) is for local test runs and is not offered.',
    [['lifecycle'], ...TLS_FILES, ['database', 'url'], ['faults']],
  ),
  database: obj('Source of PM_DATABASE__URL.', {
    existingSecret: str(
      "Secret holding the PostgreSQL URL (may use templates); default: the bundled PostgreSQL's. Empty = embedded PGlite (config.database.pgliteDir).",
    ),
    key: str('Key of the URL in that Secret.', { minLength: 1 }),
    tls: obj("The CA of PostgreSQL's certificate, mounted at the directory of config.database.tls.caFile.", {
      caSecret: str(
        "Secret holding it (may use templates); default: the bundled PostgreSQL's certificate Secret, of which only this key is mounted.",
      ),
      caConfigMap: str('ConfigMap holding it, instead of a Secret (e.g. a cloud provider CA bundle).'),
      caKey: str('Key of the PEM CA in that Secret or ConfigMap.', { minLength: 1 }),
    }),
  }),
  lifecycle,
  auth: jwksSource,
  audit: obj('The key that signs audit checkpoints, and the public key that verifies them.', {
    checkpoints: obj('Signing key Secret, mounted read-only at /etc/patient-mesh/audit (mode 0440, fsGroup).', {
      signingKeySecret: str(
        'Secret holding the Ed25519 key (PKCS#8 PEM, from scripts/audit-key.ts); config.audit.checkpoints.signingKeyFile defaults to its file (may use templates). Empty = no volume and no checkpoints.',
      ),
      signingKeyKey: str('Key of the PEM in that Secret; also its file name.', { pattern: '^[-._a-zA-Z0-9]+$' }),
      verifierKey: str(
        'Public verifier key <origin>+<8 hex>+<base64> for auditors (scripts/audit-verify.ts): shown in NOTES and as a pod annotation; its name must be config.audit.checkpoints.origin.',
        { pattern: `^(${KEY_NAME}\\+[0-9a-f]{8}\\+[A-Za-z0-9+/]+={0,2})?$` },
      ),
    }),
  }),
  tls: tls('patient-api'),
  mesh,
  telemetry,
  extraEnv,
  probes: probes(
    obj('Readiness probe: /readyz on the admin port, or the native gRPC health check (grpc.health.v1).', {
      type: str(
        'http (/readyz on the plaintext admin port; the only one that works with tls.mode mtls) or grpc (native probe, plaintext: tls.mode plaintext, or Istio).',
        { enum: ['grpc', 'http'] },
      ),
      grpcService: str('Service name sent in the health check ("" = whole server).'),
      path: str('HTTP path on the admin port (type http).', { pattern: '^/' }),
      initialDelaySeconds: seconds('initialDelaySeconds.'),
      periodSeconds: seconds('periodSeconds.', 1),
      timeoutSeconds: seconds('timeoutSeconds.', 1),
      successThreshold: int('successThreshold.', { minimum: 1 }),
      failureThreshold: int('failureThreshold.', { minimum: 1 }),
    }),
  ),
  heap,
  resources,
  ...rollout,
  ...security,
  serviceAccount,
  service: obj('Services: ClusterIP (grpc, admin) and headless (grpc; ready endpoints only).', {
    type: str('Service type of the ClusterIP Service.', { enum: ['ClusterIP', 'NodePort', 'LoadBalancer'] }),
    port: port('Service port of grpc.'),
    adminPort: port('Service port of admin (metrics).'),
    annotations: stringMap('Service annotations.'),
    headless: obj('Headless Service <fullname>-headless for client-side balancing.', {
      enabled: bool('Render the headless Service.'),
    }),
  }),
  autoscaling,
  podDisruptionBudget,
  ...scheduling,
  networkPolicy: obj('NetworkPolicy: default deny for these pods, then exactly these flows.', {
    enabled: bool('Render the NetworkPolicy.'),
    ingress: obj('Allowed sources.', {
      grpc: peers('gRPC callers (patient-api pods of this release).'),
      admin: peers('Scrapers of the admin port (Prometheus).'),
    }),
    egress: obj('Allowed destinations.', {
      database: egressTo('PostgreSQL; for an external database use an ipBlock.', 'port'),
      dns: egressTo('Cluster DNS (53/UDP and 53/TCP).', 'none'),
      otlp: egressTo('OTLP collector; only rendered when an OTLP endpoint is set.', 'ports'),
      mesh: meshEgress,
    }),
  }),
  serviceMonitor,
  prometheusRule,
  dashboards,
});

// ---------------------------------------------------------------- patient-mesh

const meshSchema = chartSchema('patient-mesh values', {
  global,
  'patient-api': {
    type: 'object',
    description: 'Values of the patient-api chart (charts/patient-api/values.schema.json).',
  },
  'patient-rpc': {
    type: 'object',
    description: 'Values of the patient-rpc chart (charts/patient-rpc/values.schema.json).',
  },
  postgresql: obj('The database of patient-rpc: bundled, a CloudNativePG Cluster, or external.', {
    mode: str(
      'bundled: a one-pod StatefulSet here; cloudnativepg: a CloudNativePG Cluster here (the operator must be installed; patient-rpc.database names its Secrets); external: nothing here (set patient-rpc.database.existingSecret and database.tls).',
      { enum: ['bundled', 'cloudnativepg', 'external'] },
    ),
    image: obj('PostgreSQL image (pinned).', {
      registry: str('Registry.'),
      repository: str('Repository.', { minLength: 1 }),
      tag: str('Tag; "latest" is refused.', { minLength: 1, ...notLatest }),
      digest: str('Optional digest.', { pattern: '^(sha256:[a-f0-9]{64})?$' }),
      pullPolicy: str('Image pull policy.', { enum: ['Always', 'IfNotPresent', 'Never'] }),
    }),
    auth: obj('Credentials.', {
      username: str('Database user.', { pattern: '^[a-z_][a-z0-9_]*$' }),
      database: str('Database name.', { pattern: '^[a-z_][a-z0-9_]*$' }),
      password: str(
        'bundled: the password, in Secret "<release>-postgresql" (keys password and url, percent-encoded there); the same on every render. Set this or existingSecret.',
      ),
      existingSecret: str(
        'bundled: your Secret with keys password and url (sealed-secrets, External Secrets) instead of password; patient-rpc.database.existingSecret must name it too.',
      ),
    }),
    persistence: obj('Data volume (PersistentVolumeClaim per pod).', {
      size: quantity('Requested size.'),
      storageClass: str('StorageClass; empty = the cluster default.'),
      accessModes: list('Access modes.', { type: 'string' }),
    }),
    resources,
    terminationGracePeriodSeconds: seconds('Time for a fast shutdown before the kubelet kills PostgreSQL.', 10),
    tls: obj(
      'Server TLS: a cert-manager Certificate for the Service names (Secret <release>-postgresql-tls), ssl=on, hostssl-only pg_hba.',
      {
        enabled: bool('Serve TLS (patient-rpc connects with verify-full; production refuses less).'),
        issuerRef: obj(
          'cert-manager issuer of the Certificate.',
          {
            name: str('Issuer or ClusterIssuer name (kind-up creates the ClusterIssuer patient-mesh-ca).', {
              minLength: 1,
            }),
            kind: str('Issuer (namespaced) or ClusterIssuer.', { enum: ['Issuer', 'ClusterIssuer'] }),
            group: str('API group of the issuer.', { minLength: 1 }),
          },
          { required: ['name', 'kind'] },
        ),
        duration: duration('Certificate lifetime.'),
        renewBefore: duration('Renewal this long before expiry.'),
        reload: obj('Native sidecar (Kubernetes >= 1.29) that reloads PostgreSQL when the certificate files change.', {
          intervalSeconds: int('How often the files are compared.', { minimum: 5, maximum: 86400 }),
          resources,
        }),
      },
    ),
    podSecurityContext: k8s('Pod securityContext (postgres user 999).'),
    securityContext: k8s('Container securityContext.'),
    nodeSelector: stringMap('nodeSelector.'),
    tolerations: list('tolerations.'),
    affinity: k8s('affinity.'),
    cloudnativepg: obj(
      'mode cloudnativepg: the CloudNativePG Cluster "<release>-postgresql" (Secrets <release>-postgresql-app and -ca, Service <release>-postgresql-rw).',
      {
        instances: int('PostgreSQL instances: one primary, the rest streaming replicas.', { minimum: 1 }),
        imageName: str(
          'PostgreSQL operand image (a CloudNativePG image; its tag starts with the major version). Pin it; "latest" is refused.',
          { minLength: 1, not: { pattern: ':latest$' } },
        ),
        imagePullPolicy: str('Image pull policy.', { enum: ['Always', 'IfNotPresent', 'Never'] }),
        primaryUpdateStrategy: str(
          'unsupervised: the operator switches over to an updated replica itself; supervised: it waits for you.',
          { enum: ['unsupervised', 'supervised'] },
        ),
        storage: obj('Data volume of each instance.', {
          size: quantity('Requested size.'),
          storageClass: str('StorageClass; empty = the cluster default.'),
        }),
        resources,
        monitoring: k8s("The Cluster's spec.monitoring (enablePodMonitor: false unless the Prometheus Operator runs)."),
        postgresql: k8s("The Cluster's spec.postgresql as is (parameters, pg_hba); {} = the operator's defaults."),
        backup: k8s(
          "The Cluster's spec.backup as is: barmanObjectStore (object store) or volumeSnapshot, retentionPolicy; {} = none. Scheduled backups are ScheduledBackup objects (docs/operations.md).",
        ),
        affinity: k8s(
          "The Cluster's spec.affinity (CloudNativePG's own shape: enablePodAntiAffinity, topologyKey, ...).",
        ),
      },
    ),
  }),
  networkPolicy: obj('NetworkPolicy of the bundled PostgreSQL (the services carry their own).', {
    enabled: bool('Render it.'),
    postgresql: peers('Who may connect to 5432 (patient-rpc pods of this release).'),
  }),
});

// ---------------------------------------------------------------- write / check

const outputs: Array<[string, Schema]> = [
  ['charts/patient-api/values.schema.json', apiSchema],
  ['charts/patient-rpc/values.schema.json', rpcSchema],
  ['charts/patient-mesh/values.schema.json', meshSchema],
];

const check = process.argv.includes('--check');
let stale = 0;
for (const [file, schema] of outputs) {
  const path = join(ROOT, file);
  const text = `${JSON.stringify(schema, null, 2)}\n`;
  let current = '';
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    // missing: stale
  }
  if (current === text) continue;
  if (check) {
    process.stderr.write(`${file} is stale: run make charts-generate\n`);
    stale++;
  } else {
    writeFileSync(path, text);
    process.stdout.write(`wrote ${file}\n`);
  }
}
process.exit(stale > 0 ? 1 : 0);
