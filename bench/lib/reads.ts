// Closed-loop read targets measured in alternated rounds, with the CPU each target's
// processes spent per request: the read-path scenarios (warm and cold) share this.
import type { BenchContext } from '../context.ts';
import { alternate } from '../context.ts';
import { measureCpu, type CpuGroup } from './cpu.ts';
import { median, type LoadResult } from './load.ts';

export interface ReadTarget {
  /** One bounded closed-loop run of `durationS` (round: which slice of ids to read, for cold reads). */
  run(round: number, durationS: number): Promise<LoadResult>;
  /** The processes whose CPU is the target's (a PostgreSQL system: its server's processes too). */
  processes: Record<string, CpuGroup>;
  /** An unmeasured run first (connections, JIT, caches); default: run(0, …). Cold targets read other ids. */
  warmup?: (durationS: number) => Promise<unknown>;
}

/** How long each target is warmed up before its measured rounds. */
export const warmupS = (quick: boolean) => (quick ? 0.5 : 2);

export interface ReadFigures {
  connections: number;
  /** Medians over rounds: responses/s, 2xx/s, latency (ms, from each request's send: closed loop). */
  rps: number;
  goodput: number;
  p50: number;
  p99: number;
  /** Sums over rounds. */
  requests: number;
  failed: number;
  /** Answers by status, summed over rounds (503: shed by patient-api's load shedder). */
  statuses: Record<string, number>;
  perRound: Array<{ goodput: number; p99: number; requests: number; elapsedS: number }>;
  /**
   * CPU µs per 2xx answer by process (loadgen: this benchmark process), medians over rounds:
   * what a served read costs (a shed request's work is charged to the served ones).
   */
  cpuPerRequestUs: Record<string, number>;
  /** CPU µs per 2xx answer of all the target's processes together (loadgen left out), median over rounds. */
  cpuTotalUs: number;
}

export async function measureReads(
  ctx: BenchContext,
  targets: Record<string, ReadTarget>,
  what: string,
): Promise<Record<string, ReadFigures>> {
  for (const [name, target] of Object.entries(targets)) {
    const seconds = warmupS(ctx.args.quick);
    await (target.warmup ? target.warmup(seconds) : target.run(0, seconds));
    ctx.log(`${what} warm-up: ${name}`);
  }
  const runs = await alternate(
    ctx.args.rounds,
    Object.keys(targets),
    async (name, round) => {
      const target = targets[name]!;
      const { result, cpu } = await measureCpu(target.processes, () => target.run(round, ctx.args.durationS));
      const perRequest = Object.fromEntries(
        Object.entries(cpu).map(([k, seconds]) => [k, result.ok ? (seconds / result.ok) * 1e6 : NaN]),
      );
      return { result, perRequest };
    },
    (m) => ctx.log(`${what} ${m}`),
  );
  return Object.fromEntries(
    Object.entries(runs).map(([name, rs]) => {
      const processes = Object.keys(rs[0]!.perRequest);
      const total = (r: (typeof rs)[number]) =>
        Object.entries(r.perRequest)
          .filter(([k]) => k !== 'loadgen')
          .reduce((a, [, us]) => a + us, 0);
      const figures: ReadFigures = {
        connections: rs[0]!.result.connections,
        rps: median(rs.map((r) => r.result.rps)),
        goodput: median(rs.map((r) => r.result.goodput)),
        p50: median(rs.map((r) => r.result.p50)),
        p99: median(rs.map((r) => r.result.p99)),
        requests: rs.reduce((a, r) => a + r.result.requests, 0),
        failed: rs.reduce((a, r) => a + r.result.non2xx + r.result.errors + r.result.timeouts, 0),
        statuses: rs.reduce<Record<string, number>>((all, r) => {
          for (const [code, n] of Object.entries(r.result.statuses)) all[code] = (all[code] ?? 0) + n;
          return all;
        }, {}),
        perRound: rs.map((r) => ({
          goodput: Math.round(r.result.goodput),
          p99: r.result.p99,
          requests: r.result.requests,
          elapsedS: Math.round(r.result.elapsedS * 100) / 100,
        })),
        cpuPerRequestUs: Object.fromEntries(
          processes.map((k) => [k, Math.round(median(rs.map((r) => r.perRequest[k]!)))]),
        ),
        cpuTotalUs: Math.round(median(rs.map(total))),
      };
      return [name, figures];
    }),
  );
}
