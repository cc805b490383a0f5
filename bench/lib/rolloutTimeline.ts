// The rolling update of tests/lifecycle/harness/rolloutScenario.ts with a timeline: the
// same steps on the same harness parts (Cluster, startLoad, the charts' workload specs),
// plus, per second of the run, requests sent, failures, p99 and the pods that are ready.
// The harness returns only summaries, and tests/ stays as it is, so the scenario is
// assembled here from its exported pieces; its figures (sent, failed, steady and rollout
// p50/p99, terminations) are computed as runRolloutScenario computes them.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workloadSpec } from '../../tests/lifecycle/harness/chartSpec.ts';
import { Cluster } from '../../tests/lifecycle/harness/Cluster.ts';
import { LOAD_TEST_API_ENV, quantile, startLoad, type Sample } from '../../tests/lifecycle/harness/loadGenerator.ts';
import type { RolloutOutcome, RolloutScenarioOptions } from '../../tests/lifecycle/harness/rolloutScenario.ts';
import { request } from '../../tests/support/http.ts';
import { createTestKeys } from '../../tests/support/tokens.ts';

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

export interface RolloutTimeline extends Omit<RolloutOutcome, 'failures'> {
  failures: Sample[];
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
  const timeScale = options.timeScale ?? 0.4;
  const propagationMs = options.propagationMs ?? 1500;
  const connections = options.connections ?? 16;
  const keys = await createTestKeys();
  const token = await keys.token({ sub: 'dr-rollout', roles: ['clinician'] });
  const rpc = workloadSpec('patient-rpc', options.values);
  const api = workloadSpec('patient-api', options.values);
  const cluster = new Cluster({
    rpc,
    api,
    timeScale,
    propagationMs,
    dir: mkdtempSync(join(tmpdir(), 'pm-rollout-')),
    databaseUrl: options.databaseUrl,
    jwksFile: keys.jwksFile,
    apiEnv: LOAD_TEST_API_ENV,
  });
  let sampler: NodeJS.Timeout | undefined;
  try {
    await cluster.start();
    const base = `http://${cluster.forwarder.host}:${cluster.forwarder.port}`;
    const list = await request(`${base}/api/v1/patients?limit=1`, { token });
    if (list.status !== 200) throw new Error(`cannot list patients: ${list.status} ${list.text}`);
    const target = {
      url: `${base}/api/v1/patients/${list.body.items[0].id}`,
      headers: { authorization: `Bearer ${token}` },
      durationMs: options.timeoutMs ?? 90_000,
      maxRequests: 1_000_000,
    };
    const load = startLoad({ ...target, connections });
    const fresh = startLoad({ ...target, connections: Math.max(1, Math.round(connections / 4)), keepAlive: false });
    // Readiness as the EndpointSlice controller sees it: ready, not terminating, not exited.
    const ready: Array<{ at: number; api: number; rpc: number; apiRunning: number; rpcRunning: number }> = [];
    const count = (pods: typeof cluster.pods.api) =>
      pods.filter((p) => p.ready && !p.terminating && p.exitedAt === undefined).length;
    const running = (pods: typeof cluster.pods.api) => pods.filter((p) => p.exitedAt === undefined).length;
    const sample = () =>
      ready.push({
        at: performance.now() - load.startedAt,
        api: count(cluster.pods.api),
        rpc: count(cluster.pods.rpc),
        apiRunning: running(cluster.pods.api),
        rpcRunning: running(cluster.pods.rpc),
      });
    sample();
    sampler = setInterval(sample, READY_SAMPLE_MS);
    const warmup = 200;
    await load.okCount(warmup);
    const steadyStart = performance.now() - load.startedAt;
    await load.okCount(warmup + (options.steadyRequests ?? 500));
    const rolloutStart = performance.now() - load.startedAt;
    await Promise.all([
      cluster.rollout('rpc', options.timeoutMs ?? 60_000),
      cluster.rollout('api', options.timeoutMs ?? 60_000),
    ]);
    const rolloutEnd = performance.now() - load.startedAt;
    load.stop();
    fresh.stop();
    const [kept, opened] = await Promise.all([load.result, fresh.result]);
    clearInterval(sampler);
    sample();
    const shift = fresh.startedAt - load.startedAt;
    const samples = [...kept.samples, ...opened.samples.map((f) => ({ ...f, at: f.at + shift }))];
    const failures = [...kept.failures, ...opened.failures.map((f) => ({ ...f, at: f.at + shift }))];
    const steady = samples.filter((s) => s.at >= steadyStart && s.at < rolloutStart);
    const during = samples.filter((s) => s.at >= rolloutStart && s.at < rolloutEnd);
    return {
      sent: kept.sent + opened.sent,
      failed: kept.failed + opened.failed,
      failures,
      steady: { requests: steady.length, p50: quantile(steady, 0.5), p99: quantile(steady, 0.99) },
      rollout: {
        requests: during.length,
        p50: quantile(during, 0.5),
        p99: quantile(during, 0.99),
        durationMs: rolloutEnd - rolloutStart,
      },
      terminations: cluster.terminations,
      spec: {
        preStopSeconds: api.preStopSeconds,
        graceSeconds: api.terminationGracePeriodSeconds,
        periodSeconds: api.readiness.periodSeconds,
        timeScale,
        propagationMs,
      },
      steadyStartS: steadyStart / 1000,
      rolloutStartS: rolloutStart / 1000,
      rolloutEndS: rolloutEnd / 1000,
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
  } finally {
    clearInterval(sampler);
    await cluster.destroy();
  }
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
