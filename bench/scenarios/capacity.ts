// Capacity: the best throughput (2xx/s) over a sweep of connection counts, closed loop,
// for the system on PostgreSQL (tracing) and the naive pair, the two alternated at each
// point, the sweep repeated each round; medians over rounds per point. The other paced
// scenarios take their rates from the system's capacity: half of it (50 % load, breaker)
// and twice it (overload).
import { SYSTEMS, type BenchContext, type Scenario } from '../context.ts';
import { median, runLoad, type LoadResult } from '../lib/load.ts';
import { warmupS } from '../lib/reads.ts';
import { fmt } from '../report.ts';
import { NAIVE } from './read.ts';

export interface SweepPoint {
  connections: number;
  /** Medians over rounds. */
  goodput: number;
  rps: number;
  p50: number;
  p99: number;
  /** Summed over rounds. */
  failed: number;
  perRound: number[];
}

export interface SweepTarget {
  points: SweepPoint[];
  /** The point with the highest median goodput. */
  best: { connections: number; goodput: number };
}

export interface CapacityResult {
  sweep: number[];
  durationS: number;
  rounds: number;
  latency: 'service';
  targets: Record<string, SweepTarget>;
  /** The system's best goodput: what half-load, breaker and overload are paced from. */
  capacity: number;
  naiveCapacity: number;
}

/** Each sweep point runs this long: the sweep has many points. */
export const sweepDurationS = (durationS: number) => Math.max(1, Math.round(durationS * 0.75));

export const capacityScenario: Scenario<CapacityResult> = {
  name: 'capacity',
  label: '(k) capacity sweep',
  async run(ctx: BenchContext): Promise<CapacityResult> {
    const [base, data, system] = await Promise.all([ctx.baselines(), ctx.pgData(), ctx.system('pg')]);
    const pgPaths = data.warmIds.map((id) => `/api/v1/patients/${id}`);
    const durationS = sweepDurationS(ctx.args.durationS);
    const run: Record<string, (connections: number, seconds?: number) => Promise<LoadResult>> = {
      [SYSTEMS.pg]: (connections, seconds = durationS) =>
        runLoad({ url: system.url, connections, durationS: seconds, headers: ctx.auth, paths: pgPaths }),
      [NAIVE]: (connections, seconds = durationS) =>
        runLoad({ url: base.naiveUrl, connections, durationS: seconds, paths: base.naivePaths }),
    };
    const names = Object.keys(run);
    // Unmeasured first (a target that has not served yet pays connections and JIT).
    for (const name of names) await run[name]!(Math.min(32, Math.max(...ctx.args.sweep)), warmupS(ctx.args.quick));
    const runs = new Map<string, LoadResult[]>();
    for (let round = 0; round < ctx.args.rounds; round++)
      for (const connections of ctx.args.sweep)
        for (const name of round % 2 ? [...names].reverse() : names) {
          const key = `${name}@${connections}`;
          runs.set(key, [...(runs.get(key) ?? []), await run[name]!(connections)]);
          ctx.log(`capacity round ${round + 1}/${ctx.args.rounds}: ${name} at ${connections} connections`);
        }
    const targets = Object.fromEntries(
      names.map((name): [string, SweepTarget] => {
        const points = ctx.args.sweep.map((connections): SweepPoint => {
          const rs = runs.get(`${name}@${connections}`)!;
          return {
            connections,
            goodput: median(rs.map((r) => r.goodput)),
            rps: median(rs.map((r) => r.rps)),
            p50: median(rs.map((r) => r.p50)),
            p99: median(rs.map((r) => r.p99)),
            failed: rs.reduce((a, r) => a + r.non2xx + r.errors + r.timeouts, 0),
            perRound: rs.map((r) => Math.round(r.goodput)),
          };
        });
        const best = points.reduce((a, p) => (p.goodput > a.goodput ? p : a), points[0]!);
        return [name, { points, best: { connections: best.connections, goodput: best.goodput } }];
      }),
    );
    return {
      sweep: ctx.args.sweep,
      durationS,
      rounds: ctx.args.rounds,
      latency: 'service',
      targets,
      capacity: targets[SYSTEMS.pg]!.best.goodput,
      naiveCapacity: targets[NAIVE]!.best.goodput,
    };
  },
  rows: (r) =>
    Object.entries(r.targets).flatMap(([name, t]) =>
      t.points.map((p) => [
        `${name} @ ${p.connections} conn.${p.connections === t.best.connections ? ' (best)' : ''}`,
        `${fmt(p.goodput, 0)} ok/s`,
        'send (closed loop)',
        fmt(p.p50, 1),
        fmt(p.p99, 1),
        '',
        String(p.failed),
      ]),
    ),
};

/** The capacity an earlier scenario measured (run.ts runs `capacity` first when a scenario needs it). */
export function capacityOf(ctx: BenchContext): CapacityResult {
  const r = ctx.results['capacity'] as CapacityResult | undefined;
  if (!r) throw new Error('the capacity scenario has not run');
  if (!(r.capacity > 0)) throw new Error(`capacity sweep measured no throughput (${r.capacity})`);
  return r;
}
