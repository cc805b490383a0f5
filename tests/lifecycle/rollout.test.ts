// Rollout simulation: the charts' probes, preStop, grace period and rolling-update strategy
// drive a kubelet-like harness; both Deployments roll under keep-alive load.
import { describe, expect, inject, it } from 'vitest';
import { createDatabase } from '../support/services.ts';
import { runRolloutScenario, type RolloutOutcome } from './harness/rolloutScenario.ts';

function summary(o: RolloutOutcome): string {
  const drains = o.terminations.map((t) => `${t.pod}:${t.exitCode}/${Math.round(t.drainMs)}ms`).join(' ');
  return (
    `sent ${o.sent}, failed ${o.failed}; p99 steady ${o.steady.p99.toFixed(1)} ms, ` +
    `rollout ${o.rollout.p99.toFixed(1)} ms over ${Math.round(o.rollout.durationMs)} ms; drains ${drains}`
  );
}

describe('rolling update of both Deployments under load', () => {
  it('with the chart defaults: no failed request, every old pod exits 0 within its grace period', async () => {
    const databaseUrl = await createDatabase(inject('postgresUrl'), `lifecycle_rollout_${Date.now()}`);
    const outcome = await runRolloutScenario({ databaseUrl });
    console.info(`rollout (chart defaults): ${summary(outcome)}`);
    expect(outcome.spec.preStopSeconds).toBe(5);
    expect(outcome.failures).toEqual([]);
    expect(outcome.failed).toBe(0);
    expect(outcome.rollout.requests).toBeGreaterThan(0);
    // Both Deployments (2 replicas each) replaced every pod.
    expect(outcome.terminations).toHaveLength(4);
    for (const t of outcome.terminations) {
      expect(t, t.pod).toMatchObject({ exitCode: 0, killed: false });
      expect(t.totalMs, t.pod).toBeLessThan(t.graceMs);
    }
  });

  it('with preStop 0 (--set lifecycle.preStopSeconds=0) requests fail', async () => {
    const databaseUrl = await createDatabase(inject('postgresUrl'), `lifecycle_rollout0_${Date.now()}`);
    const outcome = await runRolloutScenario({
      databaseUrl,
      values: { lifecycle: { preStopSeconds: 0 } },
    });
    console.info(
      `rollout (preStop 0): ${summary(outcome)}; first failures ${JSON.stringify(outcome.failures.slice(0, 3))}`,
    );
    expect(outcome.spec.preStopSeconds).toBe(0);
    expect(outcome.failed).toBeGreaterThan(0);
  });
});
