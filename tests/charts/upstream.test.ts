// Contract tests against the real upstream charts `make kind-up` installs next to
// patient-mesh (kube-prometheus-stack and jaeger at the versions versions.env pins),
// rendered by helm with the values kind-up passes, and against kube-prometheus-stack with
// its default values (a stock install the charts are put next to). What the project's
// charts render is held against what those charts make: the Alertmanager configuration.
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
import { type NetworkPolicy, ofKind } from './lib/manifests.ts';
import { type LabelSelector, selects, selectsNamespace } from './lib/labelSelector.ts';
import {
  alertmanagerConfig,
  kindUpDefault,
  kindUpInstall,
  matchedValues,
  renderAsKindUp,
  renderUpstream,
  upstreamChart,
  servedApiVersions,
  SHARED_CHARTS,
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

/** The values docs/operations.md gives for a stock kube-prometheus-stack. */
function documentedMonitoringValues(): Record<string, unknown> {
  const doc = readFileSync(join(ROOT, 'docs', 'operations.md'), 'utf8');
  const at = doc.indexOf('\n### Installing next to an existing kube-prometheus-stack\n');
  expect(at, 'docs/operations.md: section "Installing next to an existing kube-prometheus-stack"').toBeGreaterThan(0);
  const block = /```yaml\n([\s\S]*?)```/.exec(doc.slice(at));
  return parse(block![1]!) as Record<string, unknown>;
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
      const documented = documentedMonitoringValues() as { global: { monitoring: { labels: Record<string, string> } } };
      const releaseName = documented.global.monitoring.labels['release']!;
      const stock = thePrometheus(renderUpstream(kps.path!, { release: releaseName, namespace: KPS.namespace }));
      const labelled = kindRelease(documented);
      for (const kind of ['ServiceMonitor', 'PrometheusRule'] as const) {
        expect(loadedBy(stock, release, kind), `${kind} without the documented labels`).toEqual([]);
        expect(loadedBy(stock, labelled, kind), kind).toEqual(names(labelled, kind));
      }
    });
  },
);

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

describe.skipIf(!jaeger.path)("upstream chart lookup in a user's clone", () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pm-upstream-lookup-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('pulls the pinned version from the chart repository when ../shared has none', async () => {
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
