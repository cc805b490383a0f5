// (b) Latency at 50 % load: paced (open loop, evenly spaced arrivals) at half of the
// system's swept capacity, the system and, at the same rate, the naive pair and bare-http
// (what the machine itself adds to the tail), alternated each round. Both latencies are
// reported: from each request's scheduled send time (intended start, as wrk2 measures; the
// comparison uses this one) and from its actual send (service time).
import { SYSTEMS, alternate, type BenchContext, type Scenario } from '../context.ts';
import { median } from '../lib/load.ts';
import { cdf, poolSamples, runPacedLoad, type LatencyStats, type PacedResult } from '../lib/paced.ts';
import { fmt } from '../report.ts';
import { capacityOf } from './capacity.ts';
import { BARE, NAIVE } from './read.ts';

export const LATENCY_DEFINITIONS = {
  scheduled:
    "from the request's scheduled send time (intended start, as wrk2 measures): includes any wait for its connection",
  service: 'from the moment the request was written to its socket (service time; what wrk reports)',
} as const;

export interface PacedFigures {
  /** Medians over rounds. */
  rate: number;
  goodput: number;
  scheduled: LatencyStats;
  service: LatencyStats;
  /** Summed over rounds. */
  requests: number;
  failed: number;
  late: number;
  /** Latency at each percentile of every round's responses pooled. */
  cdf: { scheduled: Array<{ percentile: number; ms: number }>; service: Array<{ percentile: number; ms: number }> };
}

export interface HalfLoadResult {
  capacity: number;
  rate: number;
  connections: number;
  durationS: number;
  rounds: number;
  latency: typeof LATENCY_DEFINITIONS;
  targets: Record<string, PacedFigures>;
}

export const PACED_CONNECTIONS = 64;

/** Medians over rounds of paced runs of one target, and the CDF of their pooled samples. */
export function pacedFigures(runs: PacedResult[]): PacedFigures {
  const stats = (pick: (r: PacedResult) => LatencyStats): LatencyStats => {
    const keys = Object.keys(pick(runs[0]!)) as Array<keyof LatencyStats>;
    return Object.fromEntries(keys.map((k) => [k, median(runs.map((r) => pick(r)[k]))])) as unknown as LatencyStats;
  };
  const pooled = poolSamples(runs.flatMap((r) => (r.samples ? [r.samples] : [])));
  return {
    rate: median(runs.map((r) => r.rate)),
    goodput: median(runs.map((r) => r.goodput)),
    scheduled: stats((r) => r.scheduled),
    service: stats((r) => r.service),
    requests: runs.reduce((a, r) => a + r.requests, 0),
    failed: runs.reduce((a, r) => a + r.requests - r.ok + r.errors, 0),
    late: runs.reduce((a, r) => a + r.late, 0),
    cdf: { scheduled: cdf(pooled.scheduled), service: cdf(pooled.service) },
  };
}

export const halfLoadScenario: Scenario<HalfLoadResult> = {
  name: 'half-load',
  label: '(b) 50 % load, paced',
  needs: ['capacity'],
  async run(ctx: BenchContext): Promise<HalfLoadResult> {
    const { capacity } = capacityOf(ctx);
    const rate = Math.max(1, Math.round(capacity / 2));
    const { durationS } = ctx.args;
    const [base, data, system] = await Promise.all([ctx.baselines(), ctx.pgData(), ctx.system('pg')]);
    const pgPaths = data.warmIds.map((id) => `/api/v1/patients/${id}`);
    const common = { rate, durationS, connections: PACED_CONNECTIONS, keepSamples: true };
    const run: Record<string, () => Promise<PacedResult>> = {
      [BARE]: () => runPacedLoad({ ...common, url: base.bareUrl, paths: ['/'] }),
      [NAIVE]: () => runPacedLoad({ ...common, url: base.naiveUrl, paths: base.naivePaths }),
      [SYSTEMS.pg]: () => runPacedLoad({ ...common, url: system.url, headers: ctx.auth, paths: pgPaths }),
    };
    const runs = await alternate(
      ctx.args.rounds,
      Object.keys(run),
      (name) => run[name]!(),
      (m) => ctx.log(`50 % load ${m}`),
    );
    return {
      capacity,
      rate,
      connections: PACED_CONNECTIONS,
      durationS,
      rounds: ctx.args.rounds,
      latency: LATENCY_DEFINITIONS,
      targets: Object.fromEntries(Object.entries(runs).map(([name, rs]) => [name, pacedFigures(rs)])),
    };
  },
  rows: (r) => Object.entries(r.targets).flatMap(([name, v]) => pacedRows(`${name} @ ${r.rate}/s`, v)),
};

/** Two rows per paced target: latency from the scheduled send, then from the actual send. */
export function pacedRows(target: string, v: PacedFigures, note = ''): string[][] {
  const failed = `${v.failed}${v.late ? ` (${v.late} sent late)` : ''}${note ? `; ${note}` : ''}`;
  return [
    [
      target,
      fmt(v.rate, 0),
      'scheduled send',
      fmt(v.scheduled.p50, 1),
      fmt(v.scheduled.p99, 1),
      fmt(v.scheduled.p999, 1),
      failed,
    ],
    ['', '', 'send (service)', fmt(v.service.p50, 1), fmt(v.service.p99, 1), fmt(v.service.p999, 1), ''],
  ];
}
