// The rollout simulation: both charts rendered, their Deployments run as processes on
// loopback, then rolled (like `kubectl rollout restart` on both) under keep-alive load.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from '../../support/http.ts';
import { createTestKeys } from '../../support/tokens.ts';
import { workloadSpec } from './chartSpec.ts';
import { Cluster } from './Cluster.ts';
import { LOAD_TEST_API_ENV, quantile, startLoad, type Sample } from './loadGenerator.ts';
import type { Termination } from './Pod.ts';

export interface RolloutScenarioOptions {
  databaseUrl: string;
  /** Values for both charts (`--set`-like overrides), e.g. `{ lifecycle: { preStopSeconds: 0 } }`. */
  values?: Record<string, unknown>;
  /** One factor for every chart duration. Default 0.4: period 5 s → 2 s, preStop 5 s → 2 s, grace 30 s → 12 s, shutdownTimeout 20 s → 8 s. */
  timeScale?: number;
  /** Readiness change → clients (EndpointSlice controller, kube-proxy, resolver). Default 1500 ms (3.75 s unscaled: a busy cluster; still under the scaled preStop of 2 s). */
  propagationMs?: number;
  connections?: number;
  /** Successful requests before the rollout starts (steady state). */
  steadyRequests?: number;
  timeoutMs?: number;
  /**
   * Called once the load has started (its start time, performance.now() ms); the function it
   * returns is called once the load has ended. The benchmark samples the pods through it.
   */
  observe?: (cluster: Cluster, loadStartedAt: number) => () => void;
}

export interface RolloutOutcome {
  sent: number;
  failed: number;
  failures: Sample[];
  steady: { requests: number; p50: number; p99: number };
  rollout: { requests: number; p50: number; p99: number; durationMs: number };
  terminations: Termination[];
  /** Every request of both loads, `at` ms since the keep-alive load started. */
  samples: Sample[];
  /** When the steady state and the rollout began and the rollout ended, ms on the same clock. */
  phases: { steadyStartMs: number; rolloutStartMs: number; rolloutEndMs: number };
  spec: {
    preStopSeconds: number;
    graceSeconds: number;
    periodSeconds: number;
    timeScale: number;
    propagationMs: number;
  };
}

export async function runRolloutScenario(options: RolloutScenarioOptions): Promise<RolloutOutcome> {
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
  try {
    await cluster.start();
    const base = `http://${cluster.forwarder.host}:${cluster.forwarder.port}`;
    const list = await request(`${base}/api/v1/patients?limit=1`, { token });
    if (list.status !== 200) {
      const logs = [...cluster.pods.api, ...cluster.pods.rpc].flatMap((p) =>
        (p.process?.logs ?? [])
          .filter((r) => p.name.startsWith('api') || r.level !== 'info')
          .map((r) => `${p.name}: ${JSON.stringify(r)}`),
      );
      throw new Error(`cannot list patients: ${list.status} ${list.text}\n${logs.slice(0, 30).join('\n')}`);
    }
    const target = {
      url: `${base}/api/v1/patients/${list.body.items[0].id}`,
      headers: { authorization: `Bearer ${token}` },
      durationMs: options.timeoutMs ?? 90_000,
      maxRequests: 1_000_000,
    };
    // Keep-alive clients (each connection reused at once), and a few that open a new
    // connection per request: only those test what kube-proxy does with new connections.
    const load = startLoad({ ...target, connections });
    const fresh = startLoad({ ...target, connections: Math.max(1, Math.round(connections / 4)), keepAlive: false });
    const stopObserving = options.observe?.(cluster, load.startedAt);
    // Warm-up (connections, JIT, caches) is left out of the steady-state figures.
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
    stopObserving?.();
    const shift = fresh.startedAt - load.startedAt;
    const result = {
      sent: kept.sent + opened.sent,
      failed: kept.failed + opened.failed,
      failures: [...kept.failures, ...opened.failures.map((f) => ({ ...f, at: f.at + shift }))],
      samples: [...kept.samples, ...opened.samples.map((f) => ({ ...f, at: f.at + shift }))],
    };
    const steady = result.samples.filter((s) => s.at >= steadyStart && s.at < rolloutStart);
    const during = result.samples.filter((s) => s.at >= rolloutStart && s.at < rolloutEnd);
    return {
      sent: result.sent,
      failed: result.failed,
      failures: result.failures,
      steady: { requests: steady.length, p50: quantile(steady, 0.5), p99: quantile(steady, 0.99) },
      rollout: {
        requests: during.length,
        p50: quantile(during, 0.5),
        p99: quantile(during, 0.99),
        durationMs: rolloutEnd - rolloutStart,
      },
      terminations: cluster.terminations,
      samples: result.samples,
      phases: { steadyStartMs: steadyStart, rolloutStartMs: rolloutStart, rolloutEndMs: rolloutEnd },
      spec: {
        preStopSeconds: api.preStopSeconds,
        graceSeconds: api.terminationGracePeriodSeconds,
        periodSeconds: api.readiness.periodSeconds,
        timeScale,
        propagationMs,
      },
    };
  } finally {
    await cluster.destroy();
  }
}
