// Tier 5 against a live Prometheus: it scrapes both services (OpenMetrics negotiated) and
// loads the charts' rendered rules. Idle, before any request, every dashboard panel query
// and every recording rule already has data: each series with a known label set starts at 0
// (a fresh install must not show "No data"). Under traffic they all still answer, and the
// metric series count stays flat however many distinct patient ids are requested.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { render } from '../charts/lib/helm.ts';
import { request } from '../support/http.ts';
import { poll, startOtlpReceiver, type OtlpReceiver } from '../support/otlpReceiver.ts';
import { apiEnv, ROOT, rpcEnv, startService, type ServiceProcess } from '../support/services.ts';
import { metricValue } from '../support/metrics.ts';
import { createTestKeys } from '../support/tokens.ts';

const NAMESPACE = 'patient-mesh';
const CHARTS = ['patient-api', 'patient-rpc'] as const;

interface Target {
  labels: Record<string, string>;
  health: string;
}
interface QueryResult {
  status: string;
  error?: string;
  data: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
}
interface Panel {
  title: string;
  type: string;
  targets?: Array<{ expr: string }>;
}
interface Rule {
  record?: string;
  alert?: string;
  expr: string;
}
interface RuleSpec {
  groups: Array<{ name: string; rules: Rule[] }>;
}
/** A query and where it comes from (dashboard panel or rule), for the failure message. */
interface Check {
  where: string;
  expr: string;
}

describe('dashboards and rules against a live Prometheus', () => {
  let rpc: ServiceProcess;
  let api: ServiceProcess;
  let prometheus: ChildProcess;
  let prometheusLog = '';
  let receiver: OtlpReceiver;
  let promUrl: string;
  let base: string;
  let keys: Awaited<ReturnType<typeof createTestKeys>>;
  /** A time (Unix seconds) by which both targets had been scraped and no request made. */
  let idleAt: number;
  /** Each chart's PrometheusRule spec, as rendered. */
  let prometheusRules: Record<(typeof CHARTS)[number], RuleSpec>;
  const dir = mkdtempSync(join(tmpdir(), 'pm-prometheus-'));

  beforeAll(async () => {
    keys = await createTestKeys();
    rpc = await startService('patient-rpc', { env: rpcEnv(keys.jwksFile, { PM_SEED__PATIENTS: '5' }) });
    // The api traces (to a receiver nobody reads) so its latency histograms carry exemplars.
    // Shedding is off: on a loaded test machine a startup lag spike must not turn into 503s.
    receiver = await startOtlpReceiver();
    // A target of the api's own resolvers (as in a cluster), which report rpc_endpoints.
    api = await startService('patient-api', {
      env: apiEnv(`static:///127.0.0.1:${rpc.ports.grpc}`, keys.jwksFile, {
        PM_SHEDDING__ENABLED: 'false',
        // The flood below is over the bucket however slowly the machine serves it.
        PM_RATE_LIMIT__SUBJECT__PER_SECOND: '1',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      }),
      nodeArgs: ['--import', join(ROOT, 'services', 'runtime', 'dist', 'telemetry.js')],
    });
    base = `http://127.0.0.1:${api.ports.http}`;

    // The rule groups exactly as the charts render them into their PrometheusRules.
    prometheusRules = Object.fromEntries(
      CHARTS.map((chart) => [
        chart,
        render(chart, { apiVersions: ['monitoring.coreos.com/v1'] }).find((o) => o.kind === 'PrometheusRule')![
          'spec'
        ] as RuleSpec,
      ]),
    ) as typeof prometheusRules;
    const ruleFiles = CHARTS.map((chart) => {
      const file = join(dir, `${chart}.rules.yaml`);
      writeFileSync(file, stringify(prometheusRules[chart]));
      return file;
    });
    const job = (name: string, port: number) => ({
      job_name: name,
      static_configs: [{ targets: [`127.0.0.1:${port}`], labels: { namespace: NAMESPACE } }],
    });
    writeFileSync(
      join(dir, 'prometheus.yml'),
      stringify({
        global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
        rule_files: ruleFiles,
        scrape_configs: [job('patient-api', api.ports.admin), job('patient-rpc', rpc.ports.admin)],
      }),
    );
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
        '--enable-feature=exemplar-storage',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    prometheus.stderr!.on('data', (d: Buffer) => (prometheusLog += d.toString()));
    // No binary: say where it comes from rather than time out.
    prometheus.once(
      'error',
      (e) => (prometheusLog += `${e.message} (Debian package prometheus; scripts/ensure-test-deps.sh)`),
    );
    await poll(
      async () => {
        const targets = await getJson<{ data: { activeTargets: Target[] } }>(`${promUrl}/api/v1/targets`).catch(
          () => undefined,
        );
        const up = targets?.data.activeTargets.filter((t) => t.health === 'up').map((t) => t.labels['job']);
        return up?.includes('patient-api') && up.includes('patient-rpc');
      },
      400,
      `both targets up (prometheus: ${prometheusLog.slice(-1000)})`,
    );

    idleAt = Date.now() / 1000;
  });

  /** http_server_requests_total summed, as the api exposes it now and as Prometheus last scraped it. */
  const totalRequests = () => metricValue(api.ports.admin, 'http_server_requests_total');
  const scrapedRequests = async () =>
    Number((await query('sum(http_server_requests_total{job="patient-api"})')).data.result[0]?.value[1] ?? -1);

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      prometheus.kill('SIGTERM');
      await once(prometheus, 'exit');
    }
    expect(await api?.stop()).toBe(0);
    expect(await rpc?.stop()).toBe(0);
    await receiver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads every rule group without errors', async () => {
    const groups = await poll(
      async () => {
        const rules = await getJson<{
          data: { groups: Array<{ name: string; rules: Array<{ health: string; lastError?: string; name: string }> }> };
        }>(`${promUrl}/api/v1/rules`);
        const all = rules.data.groups;
        return all.length > 0 && all.every((g) => g.rules.every((r) => r.health === 'ok')) ? all : undefined;
      },
      200,
      'all rules evaluated with health ok',
    );
    const expected = CHARTS.flatMap((chart) => prometheusRules[chart].groups.map((g) => g.name));
    expect(groups.map((g) => g.name).sort()).toEqual(expected.sort());
  });

  describe('idle, before any request', () => {
    it('has data for every dashboard panel query and every recording rule', async () => {
      const checks = [
        ...panelQueries(),
        ...recordingRules().flatMap((r) => [
          { where: `${r.chart} rule ${r.record}`, expr: r.expr },
          { where: `${r.chart} rule ${r.record} (stored)`, expr: r.record },
        ]),
      ];
      let problems: string[] = [];
      // Rates need two scrapes and recorded series a rule evaluation after them.
      await poll(async () => (problems = await withoutData(checks)).length === 0, 100, 'idle data').catch(() => {});
      expect(problems).toEqual([]);
      expect(checks.length).toBeGreaterThan(60);
      // Idle indeed: no request yet, only the series that start at 0.
      expect(await totalRequests()).toBe(0);
    });
  });

  describe('under traffic', () => {
    beforeAll(async () => {
      // Two rounds of traffic with a scrape between: the first makes the zero series
      // increase, the second makes them increase again, so rates are non-zero.
      const clinician = await keys.token({ sub: 'dr-prom', roles: ['clinician'] });
      const flood = await keys.token({ sub: 'flood', roles: ['clinician'] });
      for (let round = 1; round <= 2; round++) {
        await driveTraffic(base, clinician);
        // More concurrent requests from one subject than its bucket holds: some 429s. The
        // ids are malformed, so the ones let through are answered 400 at the edge: a flood
        // that reached patient-rpc timed out (504) on a machine busy with builds, and this
        // suite is about the numbers, not the latency.
        const flooded = await Promise.all(
          Array.from({ length: 150 }, (_, i) => request(`${base}/api/v1/patients/flood-${i}`, { token: flood })),
        );
        expect(new Set(flooded.map((r) => r.status))).toEqual(new Set([400, 429]));
        const seen = await totalRequests();
        await poll(async () => (await scrapedRequests()) >= seen, 400, `round ${round} scraped`);
      }
    });

    it('keeps the series count flat across many distinct patient ids', async () => {
      const token = await keys.token({ sub: 'cardinality', roles: ['clinician'] });
      // Series keys (name and labels, no value); Node's own metrics gain series on their own
      // (GC kinds, handle types) and are left out.
      const series = async (port: number) =>
        (await (await fetch(`http://127.0.0.1:${port}/metrics`)).text())
          .split('\n')
          .filter((l) => l && !l.startsWith('#') && !/^(nodejs|process)_/.test(l))
          .map((l) => l.slice(0, l.lastIndexOf(' ')))
          .sort();
      const burst = async (n: number) => {
        for (let i = 0; i < n; i++) {
          const res = await request(`${base}/api/v1/patients/${randomUUID()}`, { token });
          expect([404, 429], `${res.status} ${res.text}`).toContain(res.status);
        }
      };
      await burst(20);
      const after20 = { api: await series(api.ports.admin), rpc: await series(rpc.ports.admin) };
      await burst(180);
      const after200 = { api: await series(api.ports.admin), rpc: await series(rpc.ports.admin) };
      expect(after200).toEqual(after20);
      expect(after200.api.join('\n')).toContain('route="/api/v1/patients/:id"');
    });

    it('counts successes in the series that were there before the first request', async () => {
      // A zero series under another label value (a route without its mount path, a method
      // spelt otherwise) would leave the panels a dead line beside the real one.
      const pairs = async (expr: string) => (await query(expr)).data.result.map((r) => JSON.stringify(r.metric)).sort();
      for (const [metric, by, success] of [
        ['http_server_requests_total', 'route, method', 'status_class="2xx"'],
        ['grpc_client_handled_total', 'grpc_method', 'grpc_code="OK"'],
        ['grpc_server_handled_total', 'grpc_method', 'grpc_code="OK"'],
      ] as const) {
        const used = await pairs(`count by (${by}) (${metric}{${success}} > 0)`);
        const idle = await pairs(`count by (${by}) (${metric}{${success}} @ ${idleAt})`);
        expect(used.length, metric).toBeGreaterThan(2);
        expect(
          used.filter((p) => !idle.includes(p)),
          metric,
        ).toEqual([]);
      }
    });

    it('answers every recording rule and alert expression; recording rules have data', async () => {
      // With only healthy traffic, availability is 1 (no 5xx) once the rules have run on it.
      let availability: string | undefined;
      const availabilityIsOne = async () =>
        (availability = (await query('job:slo_availability:ratio_rate5m{job="patient-api"}')).data.result[0]
          ?.value[1]) === '1';
      await poll(availabilityIsOne, 400, 'availability 1').catch(() => {});
      expect(availability).toBe('1');
      for (const r of CHARTS.flatMap((chart) => rulesOf(chart))) {
        const result = await query(r.expr);
        expect(result.status, `${r.chart} ${r.record ?? r.alert}: ${result.error}`).toBe('success');
      }
      expect(
        await withoutData(recordingRules().map((r) => ({ where: `${r.chart} ${r.record}`, expr: r.record }))),
      ).toEqual([]);
    });

    it('answers every dashboard panel query with data', async () => {
      const checks = panelQueries();
      expect(await withoutData(checks)).toEqual([]);
      expect(checks.length).toBeGreaterThan(40);
    });

    it('stores trace exemplars of the latency histogram (OpenMetrics negotiated by the scrape)', async () => {
      const exemplars = await poll(
        async () => {
          const now = Date.now() / 1000;
          const url = `${promUrl}/api/v1/query_exemplars?${new URLSearchParams({
            query: 'http_server_request_duration_seconds_bucket{job="patient-api"}',
            start: String(now - 600),
            end: String(now + 60),
          })}`;
          const body = await getJson<{ data: Array<{ exemplars: Array<{ labels: Record<string, string> }> }> }>(url);
          const all = body.data.flatMap((s) => s.exemplars);
          return all.length > 0 ? all : undefined;
        },
        200,
        'exemplars stored',
      );
      expect(exemplars[0]!.labels['trace_id']).toMatch(/^[0-9a-f]{32}$/);
    });
  });

  /** The rules of a chart's PrometheusRule, as rendered. */
  function rulesOf(chart: (typeof CHARTS)[number]): Array<Rule & { chart: string }> {
    return prometheusRules[chart].groups.flatMap((g) => g.rules.map((r) => ({ ...r, chart })));
  }

  function recordingRules(): Array<{ chart: string; record: string; expr: string }> {
    return CHARTS.flatMap((chart) => rulesOf(chart)).flatMap((r) => (r.record ? [{ ...r, record: r.record }] : []));
  }

  /** Every target of every dashboard panel, with Grafana's variables expanded. */
  function panelQueries(): Check[] {
    return CHARTS.flatMap((chart) => {
      const dirPath = join(ROOT, 'charts', chart, 'files', 'dashboards');
      return readdirSync(dirPath)
        .filter((f) => f.endsWith('.json'))
        .flatMap((file) =>
          (JSON.parse(readFileSync(join(dirPath, file), 'utf8')) as { panels: Panel[] }).panels.flatMap((panel) =>
            (panel.targets ?? []).map((t) => ({ where: `${file} "${panel.title}"`, expr: substitute(t.expr) })),
          ),
        );
    });
  }

  /** The checks whose query fails or comes back empty ("No data" in Grafana). */
  async function withoutData(checks: Check[]): Promise<string[]> {
    const results = await Promise.all(checks.map(({ expr }) => query(expr)));
    return checks.flatMap(({ where, expr }, i) => {
      const result = results[i]!;
      if (result.status !== 'success') return [`${where}: ${result.error}`];
      return result.data.result.length === 0 ? [`${where}: no data for ${expr}`] : [];
    });
  }

  async function query(expr: string): Promise<QueryResult> {
    const res = await fetch(`${promUrl}/api/v1/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ query: expr }),
    });
    return (await res.json()) as QueryResult;
  }
});

/** Grafana's template variables, as a dashboard would expand them here. */
function substitute(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__interval', '15s')
    .replaceAll('${namespace}', NAMESPACE)
    .replaceAll('$namespace', NAMESPACE);
}

/** Successes, client errors (400, 401, 404, 409) and questionnaire outcomes. */
async function driveTraffic(base: string, token: string): Promise<void> {
  const list = await request(`${base}/api/v1/patients?limit=5`, { token });
  expect(list.status).toBe(200);
  const ids = (list.body.items as Array<{ id: string }>).map((p) => p.id);
  for (const id of ids) {
    const res = await request(`${base}/api/v1/patients/${id}`, { token });
    expect(res.status, res.text).toBe(200);
  }
  expect((await request(`${base}/api/v1/patients/${randomUUID()}`, { token })).status).toBe(404);
  expect((await request(`${base}/api/v1/patients/not-a-uuid`, { token })).status).toBe(400);
  expect((await request(`${base}/api/v1/patients/${ids[0]}`)).status).toBe(401);
  const body = { submissionId: randomUUID(), instrument: 'phq9', answers: [1, 1, 1, 1, 1, 0, 0, 0, 0] };
  const submit = (b: unknown) => request(`${base}/api/v1/patients/${ids[0]}/questionnaires`, { token, body: b });
  expect((await submit(body)).status).toBe(201);
  expect((await submit(body)).status).toBe(200); // replayed
  expect(
    (await submit({ ...body, submissionId: randomUUID(), instrument: 'gad7', answers: [1, 1, 1, 1, 1, 1, 1] })).status,
  ).toBe(201);
  expect((await submit({ ...body, submissionId: randomUUID(), answers: [9] })).status).toBe(400);
  const created = await request(`${base}/api/v1/patients`, {
    token,
    body: {
      trialId: 'TRIAL-OBS',
      siteId: 'SITE-001',
      subjectCode: `S-OBS-${Date.now()}`,
      givenName: 'Obs',
      familyName: 'Test',
      birthDate: '1980-02-03',
      sex: 'female',
    },
  });
  expect(created.status).toBe(201);
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return (await res.json()) as T;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
