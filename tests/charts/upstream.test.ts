// Contract tests against the real upstream charts `make kind-up` installs next to
// patient-mesh (kube-prometheus-stack and jaeger at the versions versions.env pins),
// rendered by helm with the values kind-up passes, and against kube-prometheus-stack with
// its default values (a stock install the charts are put next to). What the project's
// charts render is held against what those charts make: the Prometheus' selectors (its
// ServiceMonitors and PrometheusRules), Grafana's sidecars and provisioned datasources
// (dashboards, their datasource, exemplar links to Jaeger), the Jaeger Service the OTLP
// endpoint names, and the severities the Alertmanager configuration knows.
// Without the packaged charts (../shared/upstream-charts) and without a network to pull
// them, every test here is skipped with the reason.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT, render, run, type K8sObject } from './lib/helm.ts';
import { exemplarLabelNames } from './lib/exemplars.ts';
import { type ConfigMap, type NetworkPolicy, type Workload, ofKind } from './lib/manifests.ts';
import { type LabelSelector, selects, selectsNamespace } from './lib/labelSelector.ts';
import {
  alertmanagerConfig,
  type Datasource,
  grafanaSidecar,
  kindUpDefault,
  kindUpInstall,
  matchedValues,
  provisionedDatasources,
  renderAsKindUp,
  renderUpstream,
  upstreamChart,
  servedApiVersions,
  SHARED_CHARTS,
  sidecarLoads,
  versions,
} from './lib/upstream.ts';

const KPS = kindUpInstall('kube-prometheus-stack');
const JAEGER = kindUpInstall('jaeger');
const kps = upstreamChart(KPS);
const jaeger = upstreamChart(JAEGER);
const missing = [kps.missing, jaeger.missing].filter((m): m is string => m !== undefined);
if (missing.length > 0) console.warn(`upstream chart contract tests skipped: ${missing.join('; ')}`);

const RELEASE = kindUpDefault('RELEASE');
const NAMESPACE = kindUpDefault('NAMESPACE');
// kind-up installs kube-prometheus-stack before the release: its CRDs' APIs are served then.
const served = kps.path ? servedApiVersions(kps.path) : [];

/** The umbrella as kind-up installs it: its release, namespace and kind's values. */
function kindRelease(values: Record<string, unknown> = {}): K8sObject[] {
  return render('patient-mesh', {
    release: RELEASE,
    namespace: NAMESPACE,
    valuesFiles: ['k8s/kind/values.yaml'],
    values: { ...values, global: { image: { tag: 'abc1234' }, ...(values['global'] as object | undefined) } },
    apiVersions: served,
  });
}

/** The YAML blocks of docs/operations.md's section for a stock kube-prometheus-stack, parsed. */
function documentedValues(): Array<Record<string, unknown>> {
  const doc = readFileSync(join(ROOT, 'docs', 'operations.md'), 'utf8');
  const heading = '\n### Installing next to an existing kube-prometheus-stack\n';
  const at = doc.indexOf(heading);
  expect(at, 'docs/operations.md: section "Installing next to an existing kube-prometheus-stack"').toBeGreaterThan(0);
  const section = doc.slice(at + heading.length).split(/\n##+ /)[0]!;
  return [...section.matchAll(/^( *)```yaml\n([\s\S]*?)^\1```/gm)].map(
    ([, indent, body]) =>
      parse(
        body!
          .split('\n')
          .map((l) => l.slice(indent!.length))
          .join('\n'),
      ) as Record<string, unknown>,
  );
}

/** The documented values holding `key` at the top level. */
function documented(key: string): Record<string, unknown> {
  const block = documentedValues().find((b) => key in b);
  expect(block, `docs/operations.md gives ${key} values for a stock kube-prometheus-stack`).toBeDefined();
  return block!;
}

interface Prometheus extends K8sObject {
  spec: {
    serviceMonitorSelector?: LabelSelector | null;
    serviceMonitorNamespaceSelector?: LabelSelector | null;
    ruleSelector?: LabelSelector | null;
    ruleNamespaceSelector?: LabelSelector | null;
    enableFeatures?: string[];
  };
}

function thePrometheus(objects: K8sObject[]): Prometheus {
  const all = ofKind<Prometheus>(objects, 'Prometheus');
  expect(all).toHaveLength(1);
  return all[0]!;
}

/** Names of the release's ServiceMonitors or PrometheusRules that this Prometheus loads. */
function loadedBy(prometheus: Prometheus, release: K8sObject[], kind: 'ServiceMonitor' | 'PrometheusRule'): string[] {
  const spec = prometheus.spec;
  const [selector, namespaceSelector] =
    kind === 'ServiceMonitor'
      ? [spec.serviceMonitorSelector, spec.serviceMonitorNamespaceSelector]
      : [spec.ruleSelector, spec.ruleNamespaceSelector];
  return ofKind(release, kind)
    .filter(
      (o) =>
        selects(selector, o.metadata.labels) &&
        selectsNamespace(namespaceSelector, o.metadata.namespace ?? NAMESPACE, prometheus.metadata.namespace!),
    )
    .map((o) => o.metadata.name)
    .sort();
}

interface DatasourceRef {
  type?: string;
  uid?: string;
}

interface Dashboard {
  uid: string;
  templating?: { list?: Array<{ name: string; type: string; query?: unknown; current?: { value?: string } }> };
}

/** Every `datasource` reference in a dashboard (panels, targets, variables), as written. */
function datasourceRefs(node: unknown, out: DatasourceRef[] = []): DatasourceRef[] {
  if (Array.isArray(node)) for (const item of node) datasourceRefs(item, out);
  else if (node && typeof node === 'object')
    for (const [key, value] of Object.entries(node)) {
      if (key === 'datasource' && value && typeof value === 'object') out.push(value as DatasourceRef);
      else if (key === 'datasource' && typeof value === 'string') out.push({ uid: value });
      else datasourceRefs(value, out);
    }
  return out;
}

/**
 * The datasource Grafana queries for a reference: a fixed uid, or a `${var}` datasource
 * variable, which starts on its `current` value or else, with none saved, on the default
 * datasource when that is of the variable's type (the first of that type otherwise).
 */
function resolveDatasource(
  ref: DatasourceRef,
  dashboard: Dashboard,
  provisioned: Datasource[],
): Datasource | undefined {
  const variable = /^\$\{?(\w+)\}?$/.exec(ref.uid ?? '')?.[1];
  if (!variable) return provisioned.find((d) => d.uid === ref.uid);
  const v = dashboard.templating?.list?.find((x) => x.name === variable && x.type === 'datasource');
  if (!v) return undefined;
  const ofType = provisioned.filter((d) => d.type === v.query);
  if (v.current?.value) return ofType.find((d) => d.uid === v.current!.value || d.name === v.current!.value);
  return ofType.find((d) => d.isDefault) ?? ofType[0];
}

/** The release's dashboards (the data of its ConfigMaps labelled for Grafana). */
function dashboardsOf(configMaps: ConfigMap[]): Array<{ file: string; dashboard: Dashboard }> {
  return configMaps.flatMap((cm) =>
    Object.entries(cm.data).map(([file, text]) => ({ file, dashboard: JSON.parse(text) as Dashboard })),
  );
}

/** host and port of a Service URL: <service>[.<namespace>[.svc[.cluster.local]]]:<port>. */
function serviceOf(url: string, defaultNamespace: string): { name: string; namespace: string; port: number } {
  const u = new URL(url);
  const [name, namespace] = u.hostname.split('.');
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  return { name: name!, namespace: namespace ?? defaultNamespace, port };
}

interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
  appProtocol?: string;
}

interface UpstreamService extends K8sObject {
  spec: { selector?: Record<string, string>; ports: ServicePort[] };
}

/** The Service and port an in-cluster URL reaches among `objects` (namespaced as installed). */
function servicePort(
  objects: K8sObject[],
  url: string,
  defaultNamespace: string,
): { service: UpstreamService; port: ServicePort } {
  const target = serviceOf(url, defaultNamespace);
  const service = ofKind<UpstreamService>(objects, 'Service').find(
    (s) => s.metadata.name === target.name && s.metadata.namespace === target.namespace,
  );
  expect(service, `${url}: a Service ${target.name} in namespace ${target.namespace}`).toBeDefined();
  const port = service!.spec.ports.find((p) => p.port === target.port);
  expect(port, `${url}: port ${target.port} of Service ${target.name}`).toBeDefined();
  return { service: service!, port: port! };
}

const names = (objects: K8sObject[], kind: string): string[] =>
  ofKind(objects, kind)
    .map((o) => o.metadata.name)
    .sort();

interface AlertRule {
  alert?: string;
  labels?: Record<string, string>;
}

describe('upstream charts', () => {
  it('kind-up installs them pinned, each with its values file, into the namespaces of versions.env', () => {
    expect(KPS).toMatchObject({
      version: versions['KUBE_PROMETHEUS_STACK_VERSION'],
      namespace: versions['MONITORING_NAMESPACE'],
      repoUrl: versions['PROMETHEUS_COMMUNITY_REPO'],
      valuesFiles: ['k8s/observability/kube-prometheus-stack.values.yaml'],
    });
    expect(JAEGER).toMatchObject({
      version: versions['JAEGER_CHART_VERSION'],
      namespace: versions['OBSERVABILITY_NAMESPACE'],
      repoUrl: versions['JAEGERTRACING_REPO'],
      valuesFiles: ['k8s/observability/jaeger.values.yaml'],
    });
    for (const file of [...KPS.valuesFiles, ...JAEGER.valuesFiles])
      expect(existsSync(join(ROOT, file)), file).toBe(true);
  });

  it('are found, or the tests say what is missing', (ctx) => {
    if (missing.length > 0) ctx.skip(missing.join('; '));
    expect(kps.path).toMatch(/kube-prometheus-stack-\d+\.\d+\.\d+\.tgz$/);
    expect(jaeger.path).toMatch(/jaeger-\d+\.\d+\.\d+\.tgz$/);
  });
});

describe.skipIf(missing.length > 0)(
  "kube-prometheus-stack: its Prometheus loads the charts' ServiceMonitors and PrometheusRules",
  () => {
    let release: K8sObject[] = [];
    let kindPrometheus: Prometheus;
    beforeAll(() => {
      release = kindRelease();
      kindPrometheus = thePrometheus(renderAsKindUp(kps.path!, KPS));
    });

    it('kind: the Prometheus kind-up installs loads every one of them', () => {
      expect(served).toContain('monitoring.coreos.com/v1');
      for (const kind of ['ServiceMonitor', 'PrometheusRule'] as const) {
        expect(names(release, kind), kind).toHaveLength(2);
        expect(loadedBy(kindPrometheus, release, kind), kind).toEqual(names(release, kind));
      }
    });

    it("kind: the services' NetworkPolicies admit scrapes of the admin port from the Prometheus' namespace", () => {
      const policies = ofKind<NetworkPolicy>(release, 'NetworkPolicy').filter((np) =>
        np.spec.ingress?.some((rule) => rule.ports?.some((p) => p.port === 'admin')),
      );
      expect(policies.map((np) => np.metadata.name).sort()).toEqual(names(release, 'ServiceMonitor'));
      for (const np of policies) {
        const admin = np.spec.ingress!.filter((rule) => rule.ports?.some((p) => p.port === 'admin'));
        const admits = admin.some(
          (rule) =>
            !rule.from ||
            rule.from.some(
              (peer) =>
                !peer.podSelector &&
                !peer.ipBlock &&
                selectsNamespace(peer.namespaceSelector, kindPrometheus.metadata.namespace!, NAMESPACE),
            ),
        );
        expect(admits, np.metadata.name).toBe(true);
      }
    });

    it('stock: its selectors require release: <its release> (…SelectorNilUsesHelmValues: true)', () => {
      const stock = thePrometheus(renderUpstream(kps.path!, { release: 'monitoring-stack', namespace: 'monitoring' }));
      expect(stock.spec.serviceMonitorSelector).toEqual({ matchLabels: { release: 'monitoring-stack' } });
      expect(stock.spec.ruleSelector).toEqual({ matchLabels: { release: 'monitoring-stack' } });
      const labelled = kindRelease({ global: { monitoring: { labels: { release: 'monitoring-stack' } } } });
      for (const kind of ['ServiceMonitor', 'PrometheusRule'] as const) {
        expect(loadedBy(stock, release, kind), `${kind} without labels`).toEqual([]);
        expect(loadedBy(stock, labelled, kind), `${kind} labelled release: monitoring-stack`).toEqual(
          names(labelled, kind),
        );
      }
    });

    it('stock: the values docs/operations.md gives make the documented release load them', () => {
      const values = documented('global') as { global: { monitoring: { labels: Record<string, string> } } };
      const releaseName = values.global.monitoring.labels['release']!;
      const stock = thePrometheus(renderUpstream(kps.path!, { release: releaseName, namespace: KPS.namespace }));
      const labelled = kindRelease(values);
      for (const kind of ['ServiceMonitor', 'PrometheusRule'] as const) {
        expect(loadedBy(stock, release, kind), `${kind} without the documented labels`).toEqual([]);
        expect(loadedBy(stock, labelled, kind), kind).toEqual(names(labelled, kind));
      }
    });
  },
);

describe.skipIf(missing.length > 0)("kube-prometheus-stack: Grafana shows the charts' dashboards", () => {
  let dashboardMaps: ConfigMap[] = [];
  let kindStack: K8sObject[] = [];
  let stock: K8sObject[] = [];
  beforeAll(() => {
    // A dashboard is a JSON document with panels; each ConfigMap of the release holding one.
    dashboardMaps = ofKind<ConfigMap>(kindRelease(), 'ConfigMap').filter((cm) =>
      Object.entries(cm.data ?? {}).some(
        ([file, text]) => file.endsWith('.json') && Array.isArray((JSON.parse(text) as { panels?: unknown }).panels),
      ),
    );
    kindStack = renderAsKindUp(kps.path!, KPS);
    stock = renderUpstream(kps.path!, { release: KPS.release, namespace: KPS.namespace });
  });

  it('the dashboard sidecar (kind and stock) loads every dashboard ConfigMap from the release namespace', () => {
    expect(dashboardMaps.length).toBeGreaterThan(0);
    for (const [stack, objects] of [
      ['kind', kindStack],
      ['stock', stock],
    ] as const) {
      const sidecar = grafanaSidecar(objects, 'grafana-sc-dashboard');
      const loaded = dashboardMaps.filter((cm) => sidecarLoads(sidecar, cm, cm.metadata.namespace ?? NAMESPACE));
      expect(
        loaded.map((cm) => cm.metadata.name),
        stack,
      ).toEqual(dashboardMaps.map((cm) => cm.metadata.name));
    }
  });

  it('kind: the sidecar files them by the grafana_folder annotation they carry', () => {
    const sidecar = grafanaSidecar(kindStack, 'grafana-sc-dashboard');
    expect(sidecar.folderAnnotation).toBeDefined();
    for (const cm of dashboardMaps)
      expect(cm.metadata.annotations?.[sidecar.folderAnnotation!], cm.metadata.name).toBe('patient-mesh');
  });

  it('every datasource the dashboards reference resolves to a provisioned one of its type (kind and stock)', () => {
    for (const [stack, objects] of [
      ['kind', kindStack],
      ['stock', stock],
    ] as const) {
      const provisioned = provisionedDatasources(objects);
      for (const { file, dashboard } of dashboardsOf(dashboardMaps)) {
        const refs = datasourceRefs(dashboard);
        expect(refs.length, file).toBeGreaterThan(0);
        for (const ref of refs) {
          const found = resolveDatasource(ref, dashboard, provisioned);
          expect(found, `${stack}: ${file}: datasource ${JSON.stringify(ref)}`).toBeDefined();
          if (ref.type) expect(found!.type, `${stack}: ${file}: ${JSON.stringify(ref)}`).toBe(ref.type);
        }
      }
    }
  });

  it("kind: exemplars on the dashboards' Prometheus datasource link to the Jaeger datasource by its uid and the trace id label", async () => {
    const provisioned = provisionedDatasources(kindStack);
    const jaegers = provisioned.filter((d) => d.type === 'jaeger');
    expect(jaegers).toHaveLength(1);
    expect(jaegers[0]!.uid).toBeTruthy();
    const labels = await exemplarLabelNames();
    expect(labels).toHaveLength(1);
    for (const { file, dashboard } of dashboardsOf(dashboardMaps)) {
      const prometheus = resolveDatasource({ type: 'prometheus', uid: '${datasource}' }, dashboard, provisioned);
      expect(prometheus, file).toBeDefined();
      expect(prometheus!.jsonData?.exemplarTraceIdDestinations, file).toEqual([
        expect.objectContaining({ datasourceUid: jaegers[0]!.uid, name: labels[0] }),
      ]);
    }
    // Prometheus keeps exemplars only with the feature on.
    expect(thePrometheus(kindStack).spec.enableFeatures).toContain('exemplar-storage');
  });

  it('stock: the values docs/operations.md gives link exemplars to the Jaeger chart kind-up installs', async () => {
    const values = documented('grafana');
    const objects = renderUpstream(kps.path!, { release: KPS.release, namespace: KPS.namespace, values });
    const provisioned = provisionedDatasources(objects);
    const [{ dashboard }] = dashboardsOf(dashboardMaps);
    const prometheus = resolveDatasource({ type: 'prometheus', uid: '${datasource}' }, dashboard!, provisioned);
    const jaegers = provisioned.filter((d) => d.type === 'jaeger');
    expect(jaegers).toHaveLength(1);
    expect(prometheus!.jsonData?.exemplarTraceIdDestinations).toEqual([
      expect.objectContaining({ datasourceUid: jaegers[0]!.uid, name: (await exemplarLabelNames())[0] }),
    ]);
    expect(thePrometheus(objects).spec.enableFeatures).toContain('exemplar-storage');
    servicePort(renderAsKindUp(jaeger.path!, JAEGER), jaegers[0]!.url!, KPS.namespace);
  });

  it('kind: the Jaeger datasource is the query port of the Service the jaeger chart creates', () => {
    const [datasource] = provisionedDatasources(kindStack).filter((d) => d.type === 'jaeger');
    const { port } = servicePort(renderAsKindUp(jaeger.path!, JAEGER), datasource!.url!, KPS.namespace);
    expect(port.name).toBe('http-query');
  });
});

describe.skipIf(missing.length > 0)("jaeger: the services' OTLP endpoint", () => {
  it('is a Service and port the jaeger chart creates, speaking OTLP over HTTP as the exporter does', () => {
    const jaegerObjects = renderAsKindUp(jaeger.path!, JAEGER);
    const deployments = ofKind<Workload>(kindRelease(), 'Deployment').filter((d) =>
      d.spec.template.spec.containers.some((c) => c.env?.some((e) => e.name === 'OTEL_EXPORTER_OTLP_ENDPOINT')),
    );
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(names(kindRelease(), 'ServiceMonitor'));
    for (const d of deployments) {
      const env = (name: string) =>
        d.spec.template.spec.containers.flatMap((c) => c.env ?? []).find((e) => e.name === name)?.value;
      const endpoint = env('OTEL_EXPORTER_OTLP_ENDPOINT')!;
      // services/runtime startTelemetry: http/protobuf unless OTEL_EXPORTER_OTLP_PROTOCOL says http/json.
      const protocol =
        env('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ?? env('OTEL_EXPORTER_OTLP_PROTOCOL') ?? 'http/protobuf';
      expect(protocol, d.metadata.name).toMatch(/^http\//);
      const { service, port } = servicePort(jaegerObjects, endpoint, NAMESPACE);
      expect(port.appProtocol ?? port.name, `${d.metadata.name}: ${endpoint} is OTLP/HTTP`).toMatch(
        /^(http|otlp-http)$/,
      );
      expect(port.protocol ?? 'TCP').toBe('TCP');
      // The port leads to a container port of the pods the Service selects.
      const pods = ofKind<Workload>(jaegerObjects, 'Deployment').filter((w) =>
        Object.entries(service.spec.selector ?? {}).every(([k, v]) => w.spec.template.metadata.labels[k] === v),
      );
      expect(pods.length, `pods behind Service ${service.metadata.name}`).toBeGreaterThan(0);
      const targetPort = port.targetPort ?? port.port;
      for (const w of pods)
        expect(
          w.spec.template.spec.containers.some((c) =>
            c.ports?.some((p) => p.containerPort === targetPort || p.name === targetPort),
          ),
          `${w.metadata.name} listens on ${targetPort}`,
        ).toBe(true);
    }
  });
});

describe.skipIf(missing.length > 0)('kube-prometheus-stack: Alertmanager', () => {
  let kindStack: K8sObject[] = [];
  let stock: K8sObject[] = [];
  let rules: AlertRule[] = [];
  beforeAll(() => {
    kindStack = renderAsKindUp(kps.path!, KPS);
    stock = renderUpstream(kps.path!, { release: KPS.release, namespace: KPS.namespace });
    rules = ofKind(kindRelease(), 'PrometheusRule').flatMap((r) =>
      (r['spec'] as { groups: Array<{ rules: AlertRule[] }> }).groups.flatMap((g) => g.rules),
    );
  });

  it('routes and inhibits by the severities critical, warning and info', () => {
    // values.yaml alertmanager.config: inhibit_rules on severity = critical / warning / info.
    for (const objects of [kindStack, stock])
      expect([...matchedValues(alertmanagerConfig(objects), 'severity')].sort()).toEqual([
        'critical',
        'info',
        'warning',
      ]);
  });

  it('every alert of the charts carries a severity that configuration knows', () => {
    const known = matchedValues(alertmanagerConfig(kindStack), 'severity');
    const alerts = rules.filter((r) => r.alert);
    expect(alerts.length).toBeGreaterThan(0);
    const unknown = alerts
      .filter((r) => !known.has(r.labels?.['severity'] ?? ''))
      .map((r) => `${r.alert}: severity ${r.labels?.['severity'] ?? '(none)'}`);
    expect(unknown).toEqual([]);
  });
});

describe("upstream chart lookup in a user's clone", () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pm-upstream-lookup-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.skipIf(!jaeger.path)('pulls the pinned version from the chart repository when ../shared has none', async () => {
    // A chart repository on loopback serving the same package, as the real one would.
    const repo = join(dir, 'repo');
    cpSync(jaeger.path!, join(repo, `jaeger-${JAEGER.version}.tgz`));
    expect(run(['repo', 'index', repo]).status).toBe(0);
    const server = spawn(
      process.execPath,
      [
        '-e',
        `const http=require('node:http'),fs=require('node:fs'),path=require('node:path');
         const s=http.createServer((q,r)=>fs.readFile(path.join(process.argv[1],path.basename(q.url)),(e,b)=>{r.statusCode=e?404:200;r.end(b);}));
         s.listen(0,'127.0.0.1',()=>console.log(s.address().port));`,
        repo,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const [chunk] = (await once(server.stdout!, 'data')) as [Buffer];
      const located = upstreamChart(JAEGER, {
        dirs: [join(dir, 'no-shared')],
        pullTo: join(dir, 'pulled'),
        repoUrl: `http://127.0.0.1:${chunk.toString().trim()}`,
      });
      expect(located).toEqual({ path: join(dir, 'pulled', `jaeger-${JAEGER.version}.tgz`) });
    } finally {
      server.kill();
    }
  });

  it('without the package and without a reachable repository, says what is missing', () => {
    const located = upstreamChart(JAEGER, {
      dirs: [join(dir, 'no-shared')],
      pullTo: join(dir, 'pulled-offline'),
      repoUrl: 'http://127.0.0.1:9',
    });
    expect(located.path).toBeUndefined();
    expect(located.missing).toContain(`jaeger-${JAEGER.version}.tgz is not in ${join(dir, 'no-shared')}`);
    expect(located.missing).toContain(`helm pull jaeger --repo http://127.0.0.1:9 --version ${JAEGER.version}`);
  });

  it.skipIf(!existsSync(join(SHARED_CHARTS, `jaeger-${JAEGER.version}.tgz`)))(
    'looks next to the repository first: ../shared/upstream-charts',
    () => {
      expect(upstreamChart(JAEGER).path).toBe(join(SHARED_CHARTS, `jaeger-${JAEGER.version}.tgz`));
    },
  );
});
