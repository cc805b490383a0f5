// (f) Rolling update of both Deployments under keep-alive load, in the kubelet-like harness
// of tests/lifecycle (chart values; every duration × 0.4, × 0.2 with --quick, endpoint
// propagation scaled alike), with a per-second timeline: requests, failures, p99, ready pods.
import { createDatabase } from '../../tests/support/services.ts';
import type { BenchContext, Scenario } from '../context.ts';
import { runRolloutTimeline, type PodCounts, type RolloutSecond } from '../lib/rolloutTimeline.ts';
import { fmt } from '../report.ts';

export interface RolloutResult {
  latency: 'service';
  connections: number;
  timeScale: number;
  propagationMs: number;
  sent: number;
  failed: number;
  /** The first three failures: when (ms since the load started) and what. */
  failures: Array<{ atMs: number; what: string }>;
  steady: { requests: number; p50: number; p99: number };
  rollout: { requests: number; p50: number; p99: number; durationMs: number };
  drainMs: number[];
  terminations: Array<{ pod: string; drainMs: number; totalMs: number; killed: boolean }>;
  steadyStartS: number;
  rolloutStartS: number;
  rolloutEndS: number;
  perSecond: RolloutSecond[];
  readyChanges: PodCounts[];
}

export const rolloutScenario: Scenario<RolloutResult> = {
  name: 'rollout',
  label: '(f) rolling update',
  async run(ctx: BenchContext): Promise<RolloutResult> {
    const connections = 16;
    // The harness's defaults; propagation stays under the scaled preStop (2 s at 0.4).
    const timeScale = ctx.args.quick ? 0.2 : 0.4;
    const propagationMs = ctx.args.quick ? 750 : 1500;
    const o = await runRolloutTimeline({
      databaseUrl: await createDatabase(ctx.postgres.url, `bench_rollout_${Date.now()}`),
      connections,
      timeScale,
      propagationMs,
      ...(ctx.args.quick && { steadyRequests: 100 }),
    });
    return {
      latency: 'service',
      connections,
      timeScale,
      propagationMs,
      sent: o.sent,
      failed: o.failed,
      failures: o.failures.slice(0, 3).map((f) => ({ atMs: Math.round(f.at), what: f.error ?? `HTTP ${f.status}` })),
      steady: o.steady,
      rollout: o.rollout,
      drainMs: o.terminations.map((t) => Math.round(t.drainMs)),
      terminations: o.terminations.map((t) => ({
        pod: t.pod,
        drainMs: Math.round(t.drainMs),
        totalMs: Math.round(t.totalMs),
        killed: t.killed,
      })),
      steadyStartS: o.steadyStartS,
      rolloutStartS: o.rolloutStartS,
      rolloutEndS: o.rolloutEndS,
      perSecond: o.perSecond,
      readyChanges: o.readyChanges,
    };
  },
  rows: (r) => [
    [
      `${r.sent} requests @ ${r.connections} conn. (+ new-connection clients)`,
      '',
      'send (closed loop)',
      `${fmt(r.steady.p50, 1)} steady`,
      `${fmt(r.steady.p99, 1)} steady`,
      '',
      `${r.failed}; drains ${r.drainMs.join('/')} ms`,
    ],
    [
      `rollout ${fmt(r.rollout.durationMs / 1000, 1)} s`,
      '',
      '',
      `${fmt(r.rollout.p50, 1)} rollout`,
      `${fmt(r.rollout.p99, 1)} rollout`,
      '',
      '',
    ],
  ],
};
