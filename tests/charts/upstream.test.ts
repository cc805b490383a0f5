// Contract tests against the real upstream charts `make kind-up` installs next to
// patient-mesh (kube-prometheus-stack and jaeger at the versions versions.env pins),
// rendered by helm with the values kind-up passes, and against kube-prometheus-stack with
// its default values (a stock install the charts are put next to). What the project's
// charts render is held against what those charts make: the Alertmanager configuration.
// Without the packaged charts (../shared/upstream-charts) and without a network to pull
// them, every test here is skipped with the reason.
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, render, run, type K8sObject } from './lib/helm.ts';
import { ofKind } from './lib/manifests.ts';
import {
  alertmanagerConfig,
  kindUpInstall,
  matchedValues,
  renderAsKindUp,
  renderUpstream,
  upstreamChart,
  SHARED_CHARTS,
  versions,
} from './lib/upstream.ts';

const KPS = kindUpInstall('kube-prometheus-stack');
const JAEGER = kindUpInstall('jaeger');
const kps = upstreamChart(KPS);
const jaeger = upstreamChart(JAEGER);
const missing = [kps.missing, jaeger.missing].filter((m): m is string => m !== undefined);
if (missing.length > 0) console.warn(`upstream chart contract tests skipped: ${missing.join('; ')}`);

/** The umbrella as kind-up installs it (kind's values), where the Operator's API is served. */
function kindRelease(values: Record<string, unknown> = {}): K8sObject[] {
  return render('patient-mesh', {
    valuesFiles: ['k8s/kind/values.yaml'],
    values: { global: { image: { tag: 'abc1234' } }, ...values },
    apiVersions: ['monitoring.coreos.com/v1'],
  });
}

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
