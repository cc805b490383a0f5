// (e) Overload: twice the system's swept capacity offered, paced (open loop: arrivals do
// not wait for answers, given connections enough), each round; medians over rounds.
// Goodput (2xx/s) against the capacity, and the latency of the accepted (2xx) requests,
// from the scheduled send and from the actual send.
import type { BenchContext, Scenario } from '../context.ts';
import { median } from '../lib/load.ts';
import { runPacedLoad, type LatencyStats, type PacedResult } from '../lib/paced.ts';
import { fmt } from '../report.ts';
import { capacityOf } from './capacity.ts';
import { LATENCY_DEFINITIONS } from './halfLoad.ts';

export interface OverloadResult {
  capacity: number;
  offered: number;
  connections: number;
  durationS: number;
  rounds: number;
  latency: typeof LATENCY_DEFINITIONS;
  /** Medians over rounds. */
  answered: number;
  goodput: number;
  goodputOverCapacity: number;
  /** Accepted (2xx) requests only. */
  okScheduled: LatencyStats;
  okService: LatencyStats;
  /** Summed over rounds: answers by status class, socket errors, timeouts, late sends. */
  statuses: Record<string, number>;
  errors: number;
  timeouts: number;
  late: number;
  perRound: Array<{ goodput: number; okScheduledP99: number; late: number }>;
}

/** Enough connections (one wrk thread each) that half a second of queueing in the server does not hold arrivals back. */
const overloadConnections = (offered: number) => Math.min(1024, Math.max(128, Math.ceil(offered / 2)));

export const overloadScenario: Scenario<OverloadResult> = {
  name: 'overload',
  label: '(e) overload 2x, paced',
  needs: ['capacity'],
  async run(ctx: BenchContext): Promise<OverloadResult> {
    const { capacity } = capacityOf(ctx);
    const offered = Math.round(capacity * 2);
    const connections = overloadConnections(offered);
    const { durationS, rounds } = ctx.args;
    const [data, system] = await Promise.all([ctx.pgData(), ctx.system('pg')]);
    const paths = data.warmIds.map((id) => `/api/v1/patients/${id}`);
    const runs: PacedResult[] = [];
    for (let round = 0; round < rounds; round++) {
      runs.push(
        await runPacedLoad({ url: system.url, rate: offered, durationS, connections, headers: ctx.auth, paths }),
      );
      ctx.log(
        `overload round ${round + 1}/${rounds}: ${Math.round(runs.at(-1)!.goodput)} ok/s at ${offered}/s offered`,
      );
    }
    const stats = (pick: (r: PacedResult) => LatencyStats): LatencyStats => {
      const keys = Object.keys(pick(runs[0]!)) as Array<keyof LatencyStats>;
      return Object.fromEntries(keys.map((k) => [k, median(runs.map((r) => pick(r)[k]))])) as unknown as LatencyStats;
    };
    const statuses: Record<string, number> = {};
    for (const r of runs) for (const [k, n] of Object.entries(r.statuses)) statuses[k] = (statuses[k] ?? 0) + n;
    const goodput = median(runs.map((r) => r.goodput));
    return {
      capacity,
      offered,
      connections,
      durationS,
      rounds,
      latency: LATENCY_DEFINITIONS,
      answered: median(runs.map((r) => r.rate)),
      goodput,
      goodputOverCapacity: goodput / capacity,
      okScheduled: stats((r) => r.okScheduled),
      okService: stats((r) => r.okService),
      statuses,
      errors: runs.reduce((a, r) => a + r.errors, 0),
      timeouts: runs.reduce((a, r) => a + r.timeouts, 0),
      late: runs.reduce((a, r) => a + r.late, 0),
      perRound: runs.map((r) => ({
        goodput: Math.round(r.goodput),
        okScheduledP99: r.okScheduled.p99,
        late: r.late,
      })),
    };
  },
  rows: (r) => {
    const shed = Object.entries(r.statuses)
      .filter(([k]) => k !== '2xx')
      .map(([k, n]) => `${n} ${k}`)
      .join(', ');
    return [
      [
        `offered ${r.offered}/s (2 × ${fmt(r.capacity, 0)}) @ ${r.connections} conn.`,
        `${fmt(r.goodput, 0)} ok/s`,
        'scheduled send, 2xx',
        fmt(r.okScheduled.p50, 1),
        fmt(r.okScheduled.p99, 1),
        fmt(r.okScheduled.p999, 1),
        `${shed || 'none shed'}; ${r.errors} errors, ${r.late} sent late`,
      ],
      ['', '', 'send (service), 2xx', fmt(r.okService.p50, 1), fmt(r.okService.p99, 1), fmt(r.okService.p999, 1), ''],
    ];
  },
};
