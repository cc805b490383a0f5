// The rolling update of tests/lifecycle/harness/rolloutScenario.ts with a timeline: per
// second of the run, requests sent, failures, p99 and the pods that are ready, from the
// scenario's own samples and a pod sampler it runs while its load does.
import {
  runRolloutScenario,
  type RolloutOutcome,
  type RolloutScenarioOptions,
} from '../../tests/lifecycle/harness/rolloutScenario.ts';
import { quantile, type Sample } from '../../tests/lifecycle/harness/loadGenerator.ts';
import type { Cluster } from '../../tests/lifecycle/harness/Cluster.ts';

/** One second of the run (t = seconds since the load started). */
export interface RolloutSecond {
  t: number;
  /** Requests started in this second, and of those the failed ones. */
  requests: number;
  failed: number;
  /** p99 latency (ms) of the requests started in this second; null when none. */
  p99Ms: number | null;
  /** Pods ready and not terminating at the end of the second (lowest seen within it, in brackets in the docs). */
  readyApi: number;
  readyRpc: number;
  minReadyApi: number;
  minReadyRpc: number;
}

export interface RolloutTimeline extends Omit<RolloutOutcome, 'samples' | 'phases'> {
  /** Seconds since the load started. */
  steadyStartS: number;
  rolloutStartS: number;
  rolloutEndS: number;
  perSecond: RolloutSecond[];
  /**
   * Pods each time a count changed, sampled every 100 ms (t in s): ready ones (ready, not
   * terminating: what the endpoints list) and running ones (started and not exited: starting
   * and terminating pods included).
   */
  readyChanges: PodCounts[];
}

export interface PodCounts {
  t: number;
  api: number;
  rpc: number;
  apiRunning: number;
  rpcRunning: number;
}

const READY_SAMPLE_MS = 100;

export async function runRolloutTimeline(options: RolloutScenarioOptions): Promise<RolloutTimeline> {
  // Readiness as the EndpointSlice controller sees it: ready, not terminating, not exited.
  const ready: Array<{ at: number; api: number; rpc: number; apiRunning: number; rpcRunning: number }> = [];
  let sampler: NodeJS.Timeout | undefined;
  const observe = (cluster: Cluster, loadStartedAt: number) => {
    const count = (pods: typeof cluster.pods.api) =>
      pods.filter((p) => p.ready && !p.terminating && p.exitedAt === undefined).length;
    const running = (pods: typeof cluster.pods.api) => pods.filter((p) => p.exitedAt === undefined).length;
    const sample = () =>
      ready.push({
        at: performance.now() - loadStartedAt,
        api: count(cluster.pods.api),
        rpc: count(cluster.pods.rpc),
        apiRunning: running(cluster.pods.api),
        rpcRunning: running(cluster.pods.rpc),
      });
    sample();
    sampler = setInterval(sample, READY_SAMPLE_MS);
    return () => {
      clearInterval(sampler);
      sample();
    };
  };
  let outcome: RolloutOutcome;
  try {
    outcome = await runRolloutScenario({ ...options, observe });
  } finally {
    clearInterval(sampler);
  }
  const { samples, phases, ...rest } = outcome;
  return {
    ...rest,
    steadyStartS: phases.steadyStartMs / 1000,
    rolloutStartS: phases.rolloutStartMs / 1000,
    rolloutEndS: phases.rolloutEndMs / 1000,
    perSecond: perSecond(samples, ready),
    readyChanges: ready
      .filter((r, i) => {
        const prev = ready[i - 1];
        return (
          !prev ||
          i === ready.length - 1 ||
          r.api !== prev.api ||
          r.rpc !== prev.rpc ||
          r.apiRunning !== prev.apiRunning ||
          r.rpcRunning !== prev.rpcRunning
        );
      })
      .map(({ at, ...counts }) => ({ t: Math.round(at) / 1000, ...counts })),
  };
}

function perSecond(samples: Sample[], ready: Array<{ at: number; api: number; rpc: number }>): RolloutSecond[] {
  const seconds = Math.ceil(Math.max(...samples.map((s) => s.at), ...ready.map((r) => r.at), 0) / 1000);
  const out: RolloutSecond[] = [];
  let lastReady = ready[0] ?? { at: 0, api: 0, rpc: 0 };
  for (let t = 0; t < seconds; t++) {
    const inSecond = samples.filter((s) => s.at >= t * 1000 && s.at < (t + 1) * 1000);
    const readyInSecond = ready.filter((r) => r.at >= t * 1000 && r.at < (t + 1) * 1000);
    if (readyInSecond.length) lastReady = readyInSecond.at(-1)!;
    const failed = inSecond.filter((s) => s.error || s.status < 200 || s.status >= 300).length;
    out.push({
      t,
      requests: inSecond.length,
      failed,
      p99Ms: inSecond.length ? Math.round(quantile(inSecond, 0.99) * 10) / 10 : null,
      readyApi: lastReady.api,
      readyRpc: lastReady.rpc,
      minReadyApi: Math.min(lastReady.api, ...readyInSecond.map((r) => r.api)),
      minReadyRpc: Math.min(lastReady.rpc, ...readyInSecond.map((r) => r.rpc)),
    });
  }
  return out;
}
