// SVG plots of a benchmark run, for docs/performance.md: vega-lite specs compiled to vega
// and rendered headless (no browser, no canvas): read path, latency CDFs at 50 % load,
// the rolling update's timeline, the import's progress and RSS.
//
//   npm exec -- node bench/plots.ts [results.json] [--out docs/img/bench]
// Without a file: the newest full run in bench/results.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { ROOT } from '../tests/support/services.ts';
import { latestFullResultsFile, readResults, type BenchResults } from './report.ts';
import type { HalfLoadResult } from './scenarios/halfLoad.ts';
import type { ImportScenarioResult } from './scenarios/import.ts';
import type { ReadResult } from './scenarios/read.ts';
import type { ReadColdResult } from './scenarios/readCold.ts';
import type { RolloutResult } from './scenarios/rollout.ts';

const SYS = 'system (PostgreSQL, tracing)';
const CONFIG = {
  font: 'Helvetica, Arial, sans-serif',
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, labelLimit: 320 },
  view: { stroke: null },
};
const TARGET_COLORS = { domain: ['system', 'naive pair', 'bare-http'], range: ['#1f77b4', '#ff7f0e', '#7f7f7f'] };

export async function renderSvg(spec: vl.TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return `${await view.toSVG()}\n`;
  } finally {
    view.finalize();
  }
}

const subtitle = (r: BenchResults) =>
  `${r.machine.cpus} × ${r.machine.model}, Node ${r.machine.node.replace(/^v/, '')}; ${r.git.commit.slice(0, 10)}, ${r.startedAt.slice(0, 10)}`;

/** (a) Read path: 2xx/s and CPU per request by process, warm and cold, system against both baselines. */
export function readPathSpec(r: BenchResults): vl.TopLevelSpec | undefined {
  const warm = r.scenarios['read']?.result as ReadResult | undefined;
  const cold = r.scenarios['read-cold']?.result as ReadColdResult | undefined;
  if (!warm && !cold) return undefined;
  const rows: Array<{ target: string; case: string; goodput: number }> = [];
  const cpu: Array<{ target: string; case: string; bar: string; process: string; us: number }> = [];
  const push = (target: string, kase: string, f: ReadResult['targets'][string] | undefined) => {
    if (!f) return;
    rows.push({ target, case: kase, goodput: Math.round(f.goodput) });
    for (const [process, us] of Object.entries(f.cpuPerRequestUs))
      if (process !== 'loadgen') cpu.push({ target, case: kase, bar: `${target}, ${kase.split(' ')[0]}`, process, us });
  };
  push('system', 'warm (cached)', warm?.targets[SYS]);
  push('naive pair', 'warm (cached)', warm?.targets['naive-pair']);
  push('bare-http', 'warm (cached)', warm?.targets['bare-http']);
  push('system', 'cold (never read)', cold?.targets[`${SYS}, cold ids`]);
  push('naive pair', 'cold (never read)', cold?.targets['naive-pair, cold ids']);
  const order = ['system', 'naive pair', 'bare-http'];
  const caseOrder = ['warm (cached)', 'cold (never read)'];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Read path: throughput and CPU per request', subtitle: subtitle(r) },
    config: CONFIG,
    hconcat: [
      {
        data: { values: rows },
        title: `2xx/s at ${warm?.connections ?? cold?.connections} connections (bare-http: a fixed body, no cold case)`,
        width: 260,
        height: 220,
        mark: { type: 'bar' },
        encoding: {
          x: { field: 'case', type: 'nominal', sort: caseOrder, title: null, axis: { labelAngle: 0 } },
          xOffset: { field: 'target', sort: order },
          y: { field: 'goodput', type: 'quantitative', title: 'requests/s (2xx)' },
          color: { field: 'target', type: 'nominal', scale: TARGET_COLORS, sort: order, title: null },
          tooltip: [{ field: 'target' }, { field: 'case' }, { field: 'goodput' }],
        },
      },
      {
        data: { values: cpu },
        title: 'CPU per request by process, µs (load generator left out)',
        width: 300,
        height: 220,
        mark: { type: 'bar' },
        encoding: {
          x: {
            field: 'bar',
            type: 'nominal',
            sort: caseOrder.flatMap((c) => order.map((t) => `${t}, ${c.split(' ')[0]}`)),
            title: null,
            axis: { labelAngle: -30 },
          },
          y: { field: 'us', type: 'quantitative', stack: 'zero', title: 'CPU µs per request' },
          color: {
            field: 'process',
            type: 'nominal',
            scale: {
              domain: ['api', 'rpc', 'postgres', 'server'],
              range: ['#4c78a8', '#72b7b2', '#e45756', '#9d755d'],
            },
            title: 'process',
          },
          tooltip: [{ field: 'target' }, { field: 'case' }, { field: 'process' }, { field: 'us' }],
        },
      },
    ],
    resolve: { scale: { color: 'independent' } },
  };
}

/** (b) Latency CDFs at 50 % load, on a "nines" scale: from the scheduled send (solid) and service time (dashed). */
export function latencyCdfSpec(r: BenchResults): vl.TopLevelSpec | undefined {
  const half = r.scenarios['half-load']?.result as HalfLoadResult | undefined;
  if (!half) return undefined;
  const names: Record<string, string> = { [SYS]: 'system', 'naive-pair': 'naive pair', 'bare-http': 'bare-http' };
  const values = Object.entries(half.targets).flatMap(([name, t]) =>
    (['scheduled', 'service'] as const).flatMap((kind) =>
      t.cdf[kind]
        .filter((p) => p.percentile < 100 && p.ms > 0)
        .map((p) => ({
          target: names[name] ?? name,
          latency: kind === 'scheduled' ? 'from scheduled send' : 'service time',
          nines: -Math.log10(1 - p.percentile / 100),
          percentile: p.percentile,
          ms: p.ms,
        })),
    ),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `Latency at 50 % load: ${half.rate} requests/s, paced (rounds pooled: ${half.rounds})`,
      subtitle: subtitle(r),
    },
    config: CONFIG,
    data: { values },
    width: 520,
    height: 300,
    mark: { type: 'line', point: { size: 18 } },
    encoding: {
      x: {
        field: 'nines',
        type: 'quantitative',
        title: 'percentile',
        scale: { domain: [0, 4] },
        axis: { values: [0, 1, 2, 3, 4], labelExpr: "format((1 - pow(10, -datum.value)) * 100, '.4~f') + '%'" },
      },
      y: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'latency, ms (log)' },
      color: { field: 'target', type: 'nominal', scale: TARGET_COLORS, title: null },
      strokeDash: {
        field: 'latency',
        type: 'nominal',
        scale: {
          domain: ['from scheduled send', 'service time'],
          range: [
            [1, 0],
            [5, 3],
          ],
        },
        title: null,
      },
      detail: [{ field: 'target' }, { field: 'latency' }],
      tooltip: [{ field: 'target' }, { field: 'latency' }, { field: 'percentile' }, { field: 'ms' }],
    },
  };
}

/** (c) Rolling update: requests/s and failures, p99, ready pods, per second. */
export function rolloutSpec(r: BenchResults): vl.TopLevelSpec | undefined {
  const rollout = r.scenarios['rollout']?.result as RolloutResult | undefined;
  if (!rollout?.perSecond?.length) return undefined;
  const seconds = rollout.perSecond;
  const window = [{ start: rollout.rolloutStartS, end: rollout.rolloutEndS }];
  const band = {
    data: { values: window },
    mark: { type: 'rect' as const, color: '#f2f2f2' },
    encoding: { x: { field: 'start', type: 'quantitative' as const }, x2: { field: 'end' } },
  };
  const x = { field: 't', type: 'quantitative' as const, title: 'seconds since the load started' };
  const width = 560;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `Rolling update of both Deployments under load (${rollout.sent} requests, ${rollout.failed} failed)`,
      subtitle: `${subtitle(r)}; shaded: the rollout; pods: ready (in the endpoints) and running (starting and terminating too)`,
    },
    config: CONFIG,
    vconcat: [
      {
        width,
        height: 120,
        layer: [
          band,
          {
            data: {
              values: seconds.flatMap((s) => [
                { t: s.t, series: 'requests', n: s.requests },
                { t: s.t, series: 'failed', n: s.failed },
              ]),
            },
            mark: { type: 'line', interpolate: 'step-after' },
            encoding: {
              x: { ...x, title: null },
              y: { field: 'n', type: 'quantitative', title: 'requests/s' },
              color: {
                field: 'series',
                type: 'nominal',
                scale: { domain: ['requests', 'failed'], range: ['#1f77b4', '#d62728'] },
                title: null,
              },
            },
          },
        ],
      },
      {
        width,
        height: 100,
        layer: [
          band,
          {
            data: { values: seconds.filter((s) => s.p99Ms !== null) },
            mark: { type: 'line', interpolate: 'step-after', color: '#9467bd' },
            encoding: { x: { ...x, title: null }, y: { field: 'p99Ms', type: 'quantitative', title: 'p99 ms' } },
          },
        ],
      },
      ...(['patient-api', 'patient-rpc'] as const).map((workload, i) => ({
        width,
        height: 70,
        layer: [
          band,
          {
            data: {
              values: (rollout.readyChanges ?? []).flatMap((c) => [
                { t: c.t, pods: 'ready', n: workload === 'patient-api' ? c.api : c.rpc },
                { t: c.t, pods: 'running', n: workload === 'patient-api' ? c.apiRunning : c.rpcRunning },
              ]),
            },
            mark: { type: 'line' as const, interpolate: 'step-after' as const },
            encoding: {
              x: i === 0 ? { ...x, title: null } : x,
              y: {
                field: 'n',
                type: 'quantitative' as const,
                title: `${workload} pods`,
                axis: { tickMinStep: 1 },
                scale: { zero: true },
              },
              color: {
                field: 'pods',
                type: 'nominal' as const,
                scale: { domain: ['ready', 'running'], range: ['#2ca02c', '#8c564b'] },
                title: null,
              },
              strokeDash: {
                field: 'pods',
                type: 'nominal' as const,
                scale: {
                  domain: ['ready', 'running'],
                  range: [
                    [1, 0],
                    [5, 3],
                  ],
                },
                legend: null,
              },
            },
          },
        ],
      })),
    ],
    resolve: { scale: { color: 'independent', strokeDash: 'independent' } },
  };
}

/** (d) Import: lines/s (uploaded, processed) and each service's RSS over time, per size. */
export function importSpec(r: BenchResults): vl.TopLevelSpec | undefined {
  const imports = r.scenarios['import']?.result as ImportScenarioResult | undefined;
  if (!imports?.sizes.some((s) => s.timeline?.length)) return undefined;
  const rate: Array<{ size: string; t: number; series: string; perS: number }> = [];
  const rss: Array<{ size: string; t: number; service: string; mb: number }> = [];
  for (const s of imports.sizes) {
    const size = `${s.lines.toLocaleString('en-US')} lines`;
    s.timeline.forEach((p, i) => {
      rss.push(
        { size, t: p.t, service: 'patient-rpc', mb: p.rpcRssMb },
        { size, t: p.t, service: 'patient-api', mb: p.apiRssMb },
      );
      // Over the last 2 s (4 samples): a 0.5 s step shows the batching more than the rate.
      const prev = s.timeline[Math.max(0, i - 4)];
      if (!prev || p.t <= prev.t) return;
      const dt = p.t - prev.t;
      rate.push(
        { size, t: p.t, series: 'uploaded', perS: Math.round((p.uploadedLines - prev.uploadedLines) / dt) },
        { size, t: p.t, series: 'processed', perS: Math.round((p.processedLines - prev.processedLines) / dt) },
      );
    });
  }
  const sizes = imports.sizes.map((s) => `${s.lines.toLocaleString('en-US')} lines`);
  const x = { field: 't', type: 'quantitative' as const, title: 'seconds since the upload started' };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'ePRO import end to end: lines/s and RSS over time', subtitle: subtitle(r) },
    config: CONFIG,
    hconcat: sizes.map((size) => ({
      vconcat: [
        {
          title: size,
          width: 300,
          height: 150,
          data: { values: rate.filter((p) => p.size === size) },
          mark: { type: 'line' },
          encoding: {
            x: { ...x, title: null },
            y: { field: 'perS', type: 'quantitative', title: 'lines/s (over 2 s)' },
            color: {
              field: 'series',
              type: 'nominal',
              scale: { domain: ['uploaded', 'processed'], range: ['#1f77b4', '#ff7f0e'] },
              title: null,
            },
          },
        },
        {
          width: 300,
          height: 120,
          data: { values: rss.filter((p) => p.size === size) },
          mark: { type: 'line' },
          encoding: {
            x,
            y: { field: 'mb', type: 'quantitative', title: 'RSS MB', scale: { zero: true } },
            color: {
              field: 'service',
              type: 'nominal',
              scale: { domain: ['patient-rpc', 'patient-api'], range: ['#8c564b', '#2ca02c'] },
              title: null,
            },
          },
        },
      ],
      resolve: { scale: { color: 'independent' } },
    })),
  };
}

export const PLOTS: Record<string, (r: BenchResults) => vl.TopLevelSpec | undefined> = {
  'read-path': readPathSpec,
  'latency-cdf': latencyCdfSpec,
  rollout: rolloutSpec,
  import: importSpec,
};

/** Renders every plot the run has data for into `dir`; returns the files written. */
export async function writePlots(r: BenchResults, dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, make] of Object.entries(PLOTS)) {
    const spec = make(r);
    if (!spec) continue;
    const file = join(dir, `${name}.svg`);
    writeFileSync(file, await renderSvg(spec));
    written.push(file);
  }
  return written;
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { out: { type: 'string' } } });
  const file = positionals[0] ?? latestFullResultsFile();
  const written = await writePlots(readResults(file), values.out ?? join(ROOT, 'docs', 'img', 'bench'));
  process.stdout.write(`plots from ${file}:\n${written.map((f) => `  ${f}`).join('\n')}\n`);
}
