// ServiceMonitor / PrometheusRule follow the cluster's capabilities (or an explicit
// switch); dashboards and rules come from files/ in each chart; the helm test hook
// calls the API with the service's own image.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT, render, type K8sObject } from './lib/helm.ts';
import { exemplarHistograms } from './lib/exemplars.ts';
import { type ConfigMap, type Service, named, ofKind, testPods } from './lib/manifests.ts';

const OPERATOR = ['monitoring.coreos.com/v1'];
const SERVICES = ['patient-api', 'patient-rpc'] as const;

interface RuleGroup {
  name: string;
  rules: Array<Record<string, unknown>>;
}

interface Panel {
  type: string;
  title: string;
  panels?: Panel[];
  targets?: Array<{ expr?: string; refId?: string; exemplar?: boolean }>;
}

/** Panels, those inside collapsed rows included. */
function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

describe('ServiceMonitor and PrometheusRule', () => {
  it('are left out when the cluster does not serve monitoring.coreos.com/v1', () => {
    const kinds = render('patient-mesh').map((o) => o.kind);
    expect(kinds).not.toContain('ServiceMonitor');
    expect(kinds).not.toContain('PrometheusRule');
  });

  it('are rendered when it does (enabled: auto)', () => {
    const objects = render('patient-mesh', { apiVersions: OPERATOR });
    expect(
      ofKind(objects, 'ServiceMonitor')
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['pm-patient-api', 'pm-patient-rpc']);
    expect(
      ofKind(objects, 'PrometheusRule')
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['pm-patient-api', 'pm-patient-rpc']);
  });

  it('enabled: true forces them without the API; false removes them with it', () => {
    const on = { serviceMonitor: { enabled: true }, prometheusRule: { enabled: true } };
    expect(render('patient-api', { values: on }).map((o) => o.kind)).toEqual(
      expect.arrayContaining(['ServiceMonitor', 'PrometheusRule']),
    );
    const off = { serviceMonitor: { enabled: false }, prometheusRule: { enabled: false } };
    const kinds = render('patient-rpc', { values: off, apiVersions: OPERATOR }).map((o) => o.kind);
    expect(kinds).not.toContain('ServiceMonitor');
    expect(kinds).not.toContain('PrometheusRule');
  });

  it('global.monitoring.labels label every ServiceMonitor and PrometheusRule; the chart-level labels add and win', () => {
    const objects = render('patient-mesh', {
      apiVersions: OPERATOR,
      values: {
        global: { monitoring: { labels: { release: 'kube-prometheus-stack', team: 'clinical' } } },
        'patient-api': { serviceMonitor: { labels: { team: 'edge' } } },
        'patient-rpc': { prometheusRule: { labels: { tier: 'core' } } },
      },
    });
    const labelsOf = (kind: string) =>
      Object.fromEntries(
        ofKind(objects, kind).map((o) => [
          o.metadata.name,
          {
            release: o.metadata.labels?.['release'],
            team: o.metadata.labels?.['team'],
            tier: o.metadata.labels?.['tier'],
          },
        ]),
      );
    expect(labelsOf('ServiceMonitor')).toEqual({
      'pm-patient-api': { release: 'kube-prometheus-stack', team: 'edge', tier: undefined },
      'pm-patient-rpc': { release: 'kube-prometheus-stack', team: 'clinical', tier: undefined },
    });
    expect(labelsOf('PrometheusRule')).toEqual({
      'pm-patient-api': { release: 'kube-prometheus-stack', team: 'clinical', tier: undefined },
      'pm-patient-rpc': { release: 'kube-prometheus-stack', team: 'clinical', tier: 'core' },
    });
    // The common labels stay; nothing else gets the monitoring labels.
    for (const o of [...ofKind(objects, 'ServiceMonitor'), ...ofKind(objects, 'PrometheusRule')])
      expect(o.metadata.labels?.['app.kubernetes.io/instance']).toBe('pm');
    const others = objects.filter((o) => !['ServiceMonitor', 'PrometheusRule'].includes(o.kind));
    expect(others.filter((o) => o.metadata.labels?.['release']).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([]);
  });

  it('carry no release label unless asked (a stock kube-prometheus-stack then ignores them)', () => {
    const objects = render('patient-mesh', { apiVersions: OPERATOR });
    for (const o of [...ofKind(objects, 'ServiceMonitor'), ...ofKind(objects, 'PrometheusRule')])
      expect(o.metadata.labels?.['release'], `${o.kind}/${o.metadata.name}`).toBeUndefined();
  });

  it('each ServiceMonitor scrapes /metrics on the admin port of exactly its own Service', () => {
    const objects = render('patient-mesh', { apiVersions: OPERATOR });
    for (const sm of ofKind(objects, 'ServiceMonitor')) {
      const spec = sm['spec'] as {
        jobLabel: string;
        selector: { matchLabels: Record<string, string> };
        namespaceSelector: { matchNames: string[] };
        endpoints: Array<{ port: string; path: string }>;
      };
      expect(spec.jobLabel).toBe('app.kubernetes.io/name');
      expect(spec.namespaceSelector.matchNames).toEqual(['patient-mesh']);
      expect(spec.endpoints.map((e) => [e.port, e.path])).toEqual([['admin', '/metrics']]);
      const withAdmin = ofKind<Service>(objects, 'Service').filter(
        (s) =>
          Object.entries(spec.selector.matchLabels).every(([k, v]) => s.metadata.labels?.[k] === v) &&
          s.spec.ports.some((p) => p.name === 'admin'),
      );
      expect(withAdmin.map((s) => s.metadata.name)).toEqual([sm.metadata.name]);
    }
  });

  it.each(SERVICES)('%s: the PrometheusRule carries every group of files/rules/*.yaml', (chart) => {
    const dir = join(ROOT, 'charts', chart, 'files', 'rules');
    const expected = readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .sort()
      .flatMap((f) => (parse(readFileSync(join(dir, f), 'utf8')) as { groups: RuleGroup[] }).groups);
    expect(expected.length).toBeGreaterThan(0);
    const rule = named(render(chart, { apiVersions: OPERATOR }), 'PrometheusRule', `pm-${chart}`);
    expect((rule['spec'] as { groups: RuleGroup[] }).groups).toEqual(expected);
  });
});

describe('Grafana dashboards', () => {
  it.each(SERVICES)('%s: one labelled ConfigMap per files/dashboards/*.json, with valid JSON', (chart) => {
    const dir = join(ROOT, 'charts', chart, 'files', 'dashboards');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    const maps = ofKind<ConfigMap>(render(chart), 'ConfigMap').filter(
      (cm) => cm.metadata.labels?.['grafana_dashboard'] === '1',
    );
    expect(maps.flatMap((cm) => Object.keys(cm.data)).sort()).toEqual(files.sort());
    for (const cm of maps) {
      expect(cm.metadata.annotations?.['grafana_folder']).toBe('patient-mesh');
      for (const [file, text] of Object.entries(cm.data)) {
        const dashboard = JSON.parse(text) as { uid?: string; title?: string; panels?: unknown[] };
        expect(dashboard.uid, file).toBeTruthy();
        expect(dashboard.title, file).toBeTruthy();
        expect(Array.isArray(dashboard.panels), file).toBe(true);
        expect(text).toBe(readFileSync(join(dir, file), 'utf8').replace(/\n$/, ''));
      }
    }
  });

  it('latency panels over histograms with trace exemplars ask for them, and only those', async () => {
    const histograms = await exemplarHistograms();
    expect(histograms).toEqual(
      expect.arrayContaining(['http_server_request_duration_seconds', 'grpc_server_handling_seconds']),
    );
    const withExemplars = new RegExp(`\\b(${histograms.join('|')})_bucket\\b`);
    const asking: string[] = [];
    const missing: string[] = [];
    for (const chart of SERVICES) {
      const dir = join(ROOT, 'charts', chart, 'files', 'dashboards');
      for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
        const dashboard = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { panels: Panel[] };
        for (const panel of allPanels(dashboard.panels))
          for (const target of panel.targets ?? []) {
            const where = `${file}: ${panel.title} (${target.refId ?? 'A'})`;
            const over = withExemplars.test(target.expr ?? '') && panel.type === 'timeseries';
            if (over && target.exemplar !== true) missing.push(where);
            if (target.exemplar === true) asking.push(where);
            if (target.exemplar === true) expect(over, `${where} asks for exemplars its series lack`).toBe(true);
          }
      }
    }
    expect(missing).toEqual([]);
    expect(asking.length).toBeGreaterThan(0);
  });

  it('dashboards.enabled=false renders none', () => {
    const maps = ofKind(render('patient-api', { values: { dashboards: { enabled: false } } }), 'ConfigMap');
    expect(maps.filter((cm) => cm.metadata.labels?.['grafana_dashboard'])).toEqual([]);
  });
});

describe('helm test hook', () => {
  let objects: K8sObject[] = [];
  let pod: ReturnType<typeof testPods>[number] | undefined;
  beforeAll(() => {
    objects = render('patient-mesh', { values: { global: { image: { tag: '1.2.3' } } } });
    pod = testPods(objects)[0];
  });

  it('uses the patient-api image itself and no shell', () => {
    expect(testPods(objects)).toHaveLength(1);
    const c = pod!.spec.containers[0]!;
    expect(c.image).toBe('ghcr.io/patient-mesh/patient-api:1.2.3');
    expect(c.command?.[0]).toBe('node');
  });

  it('reads the bearer token from the tests.tokenSecret Secret, key token, and calls the Service', () => {
    const c = pod!.spec.containers[0]!;
    const token = c.env!.find((e) => e.name === 'TEST_TOKEN');
    expect(token?.valueFrom?.secretKeyRef).toEqual({ name: 'patient-mesh-test-token', key: 'token' });
    const url = c.env!.find((e) => e.name === 'TEST_URL')?.value;
    expect(url).toBe('http://pm-patient-api.patient-mesh.svc:8080/api/v1/patients?limit=1');
    expect(pod!.metadata.annotations?.['helm.sh/hook']).toBe('test');
    expect((pod!.spec as unknown as { restartPolicy: string }).restartPolicy).toBe('Never');
  });

  it('exits non-zero on a non-2xx answer (the script, run against a local server)', async () => {
    const c = pod!.spec.containers[0]!;
    const args = [...c.command!.slice(1), (c as unknown as { args: string[] }).args[0]!];
    for (const [status, exitCode] of [
      [200, 0],
      [204, 0],
      [401, 1],
      [404, 1],
      [500, 1],
    ] as const) {
      expect(await runTestPod(args, status), `HTTP ${status}`).toBe(exitCode);
    }
  });
});

/** Runs the hook's node arguments against a server that answers `status` to the right token. */
async function runTestPod(args: string[], status: number): Promise<number | null> {
  const server = createServer((req, res) => {
    res.statusCode = req.headers.authorization === 'Bearer t0ken' ? status : 418;
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const env = { ...process.env, TEST_URL: `http://127.0.0.1:${port}/api/v1/patients?limit=1`, TEST_TOKEN: 't0ken\n' };
  try {
    const child = spawn(process.execPath, args, { env, stdio: 'ignore' });
    const [code] = (await once(child, 'exit')) as [number | null];
    return code;
  } finally {
    server.close();
  }
}
