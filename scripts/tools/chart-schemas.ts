// Writes charts/*/values.schema.json. The three charts share most blocks (image,
// lifecycle, probes, security, autoscaling, network policy, monitoring), so the schemas
// are built here from one set of fragments instead of being kept in sync by hand.
// Every description below is also the text of the values reference in docs/operations.md
// (scripts/tools/values-reference.ts).
//
// Usage: node scripts/tools/chart-schemas.ts          write the files
//        node scripts/tools/chart-schemas.ts --check  exit 1 when a file is stale
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
      registry: str('Registry prefix for every image, e.g. ghcr.io/acme; empty = none.'),
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
      registry: str('Registry prefix, e.g. ghcr.io/acme; empty = global.image.registry, else none.'),
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

const logConfig = obj('Logging.', {
  level: str('pino log level.', { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] }),
});
const serviceConfig = obj('Service identity.', {
  environment: str('production refuses development-only features.', { enum: ['development', 'production'] }),
});
const listenConfig = (what: string) =>
  obj(`${what} listener.`, {
    host: str('Bind address.'),
    port: port('Port; also the containerPort.'),
  });

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

const authConfig = obj(
  'Bearer token (JWT) verification; both services verify the same tokens. Set exactly one of jwksFile and jwksUrl.',
  {
    jwksFile: str('JWKS file; its directory is where auth.jwksSecret / auth.jwksConfigMap is mounted.'),
    jwksUrl: str('JWKS URL, fetched and cached.'),
    jwksRefreshSeconds: int(
      'How often jwksFile is checked for changes (a rotated key set applies without a restart).',
      {
        minimum: 1,
        maximum: 3600,
      },
    ),
    issuer: str('Expected iss claim.', { minLength: 1 }),
    audience: str("Expected aud claim (patient-api's audience in both services: the token is the same).", {
      minLength: 1,
    }),
    algorithms: list('Accepted signature algorithms (asymmetric only).', {
      enum: ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA'],
    }),
    clockToleranceSeconds: int('Clock skew tolerated on exp/nbf.', { minimum: 0, maximum: 300 }),
  },
);

const jwksSource = obj('Where the JWKS (public keys) comes from, mounted at the directory of config.auth.jwksFile.', {
  jwksSecret: str('Secret holding the JWKS (may use templates).'),
  jwksConfigMap: str('ConfigMap holding the JWKS, instead of a Secret.'),
  jwksKey: str('Key of the JWKS in that Secret or ConfigMap.', { minLength: 1 }),
});

const spiffeId = { type: 'string', pattern: '^spiffe://[^/]+/.+' };

/** config.tls: what the chart does not derive (mode and the file paths come from tls/mesh). */
function tlsConfig(peersKey: string, peersDescription: string): Schema {
  return obj(
    'Transport security of the api-rpc connection; mode and certFile/keyFile/caFile are written by the chart from tls and mesh.',
    {
      refreshIntervalMs: int('How often the certificate files are re-read (rotation without a restart).', {
        minimum: 100,
        maximum: 600000,
      }),
      [peersKey]: list(peersDescription, spiffeId),
    },
  );
}

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

// ---------------------------------------------------------------- patient-api

const apiSchema = chartSchema('patient-api values', {
  ...common,
  image: image('patient-mesh/patient-api'),
  config: obj(
    'patient-api config file, rendered verbatim into the ConfigMap (strings may use templates). Keys map one-to-one to the service config.',
    {
      service: serviceConfig,
      log: logConfig,
      http: obj('HTTP API listener.', {
        host: str('Bind address.'),
        port: port('Port; also the containerPort "http".'),
        bodyLimitBytes: int('Largest JSON body accepted; larger gets 413.', { minimum: 1024, maximum: 16777216 }),
        requestTimeoutMs: int('Overall budget of a request; it becomes the gRPC deadline.', {
          minimum: 50,
          maximum: 60000,
        }),
        keepAliveTimeoutMs: int('HTTP keep-alive timeout; must exceed the load balancer idle timeout.', {
          minimum: 1000,
          maximum: 600000,
        }),
      }),
      admin: listenConfig('Admin (/livez /readyz /metrics)'),
      auth: authConfig,
      rpc: obj('patient-rpc client.', {
        target: str(
          'kubernetes:///<service>.<namespace>:<port> (EndpointSlice watch of the headless Service), dns:///host:port or static:///h1:p,h2:p.',
          { minLength: 1 },
        ),
      }),
      tls: tlsConfig(
        'serverIdentities',
        "SPIFFE ids patient-rpc may present; empty = patient-rpc's id in this namespace (from tls.trustDomain and tls.peerServiceAccount).",
      ),
    },
    { required: ['http', 'admin', 'auth', 'rpc'] },
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
  autoscaling,
  podDisruptionBudget,
  ...scheduling,
  networkPolicy: obj('NetworkPolicy: default deny for these pods, then exactly these flows.', {
    enabled: bool('Render the NetworkPolicy.'),
    ingress: obj('Allowed sources.', {
      http: peers('Clients of the HTTP port (ingress controller, NodePort traffic, other services).'),
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
  image: image('patient-mesh/patient-rpc'),
  config: obj(
    'patient-rpc config file, rendered verbatim into the ConfigMap (strings may use templates). Keys map one-to-one to the service config; the database URL is never here.',
    {
      service: serviceConfig,
      log: logConfig,
      grpc: obj('gRPC listener.', {
        host: str('Bind address.'),
        port: port('Port; also the containerPort.'),
        reflection: bool(
          'Server reflection (generic clients discover the API); unset = on in development, off in production.',
        ),
        maxConnectionAgeSeconds: int(
          'Connections older than this get GOAWAY (calls in flight finish), so rotated certificates reach them; 0 = never.',
          { minimum: 0, maximum: 86400 },
        ),
      }),
      admin: listenConfig('Admin (/livez /readyz /metrics)'),
      auth: authConfig,
      tls: tlsConfig(
        'allowedClients',
        "SPIFFE ids allowed to call PatientService; empty = patient-api's id in this namespace (from tls.trustDomain and tls.peerServiceAccount).",
      ),
      database: obj('Store settings (the URL comes from database.existingSecret).', {
        pgliteDir: str(
          'Embedded PGlite directory (memory:// or a path under /tmp) when database.existingSecret is empty; demos only.',
        ),
        poolMax: int('PostgreSQL pool size per pod.', { minimum: 1, maximum: 200 }),
        statementTimeoutMs: int('Upper bound of any statement; calls with a shorter deadline get less.', {
          minimum: 100,
          maximum: 600000,
        }),
        tls: obj('TLS to PostgreSQL (never in the URL: sslmode there is refused).', {
          mode: str(
            'verify-full (the certificate must chain to caFile and name the URL host; required in production) or disable.',
            {
              enum: ['disable', 'verify-full'],
            },
          ),
          caFile: str('PEM CA bundle; its directory is where database.tls.caSecret / caConfigMap is mounted.'),
          certFile: str('Client certificate, for PostgreSQL certificate authentication (the chart mounts none).'),
          keyFile: str('Client key, with certFile.'),
        }),
      }),
      audit: obj('Audit trail.', {
        maxBatch: int('Most audit records per commit (group commit).', { minimum: 1, maximum: 5000 }),
        checkpoints: obj(
          'Signed checkpoints: the Merkle root (RFC 9162) and size of the trail, signed as a C2SP checkpoint and published outside the database.',
          {
            signingKeyFile: str(
              'Ed25519 private key (PKCS#8 PEM) that signs them; empty = the file of audit.checkpoints.signingKeySecret when set, else no checkpoints (refused in production).',
            ),
            origin: str("The log's name in every checkpoint and the signing key's name (no spaces or +).", {
              pattern: `^${KEY_NAME}$`,
            }),
            intervalMs: int('How often new records are integrated and a checkpoint signed: the bound on the delay.', {
              minimum: 50,
              maximum: 60000,
            }),
            maxBatch: int('Most records integrated per checkpoint.', { minimum: 1, maximum: 1000000 }),
            gapGraceMs: int(
              'A hole in seq (an append that never committed) older than this is sealed with an audit.gap record; keep it above database.statementTimeoutMs.',
              { minimum: 100, maximum: 3600000 },
            ),
            file: str('Also append each checkpoint to this file (JSON lines); a development sink, leave empty here.'),
          },
        ),
      }),
      patientCache: obj('In-memory cache of patient records (immutable once created); every read is still audited.', {
        maxEntries: int('Records kept; 0 turns the cache off.', { minimum: 0, maximum: 1000000 }),
        ttlSeconds: int('Longest a record is served from memory (bounds staleness after an out-of-band SQL change).', {
          minimum: 1,
          maximum: 86400,
        }),
      }),
      imports: obj('ePRO bulk import pipeline.', {
        workers: int('Import jobs one replica processes at once.', { minimum: 1, maximum: 1000 }),
        queueDepth: int('Most unfinished jobs across replicas; beyond it an upload gets 429.', {
          minimum: 1,
          maximum: 100000,
        }),
        batchSize: int('Lines per staging COPY and per apply transaction.', { minimum: 1, maximum: 10000 }),
        batchConcurrency: int('Batches of one job applied at once, each on its own connection.', {
          minimum: 1,
          maximum: 16,
        }),
        leaseSeconds: int("A job lease; a dead replica's jobs resume after it.", { minimum: 1, maximum: 3600 }),
        pollIntervalMs: int('How often each replica looks for claimable jobs.', { minimum: 50, maximum: 60000 }),
        maxLineBytes: int('Longest NDJSON line; longer lines are rejected per line.', {
          minimum: 1024,
          maximum: 16777216,
        }),
      }),
      seed: obj('Development seeding.', {
        patients: int('Synthetic patients created at startup when the store is empty (development only).', {
          minimum: 0,
        }),
      }),
    },
    { required: ['grpc', 'admin'] },
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
  postgresql: obj('Bundled PostgreSQL StatefulSet.', {
    enabled: bool('Install PostgreSQL; false = external database (set patient-rpc.database.existingSecret).'),
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
      existingSecret: str('Secret with keys password and url; empty = generated "<release>-postgresql".'),
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
    process.stderr.write(`${file} is stale: run node scripts/tools/chart-schemas.ts\n`);
    stale++;
  } else {
    writeFileSync(path, text);
    process.stdout.write(`wrote ${file}\n`);
  }
}
process.exit(stale > 0 ? 1 : 0);
