// Rolling update of both Deployments under keep-alive load, in the kubelet-like harness
// of tests/lifecycle (charts rendered with helm; probes, preStop, grace and strategy read
// from them; every duration scaled by one factor). Prints requests sent and failed, p50/p99
// latency in steady state and during the rollout, and each old pod's drain time.
//
//   npm exec -- node bench/rollout.ts [--rounds 1] [--connections 16] [--time-scale 0.4] [--pre-stop 5]
import { parseArgs } from 'node:util';
import { startPostgres } from '../tests/support/postgres.ts';
import { createDatabase } from '../tests/support/services.ts';
import { runRolloutScenario } from '../tests/lifecycle/harness/rolloutScenario.ts';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '1' },
    connections: { type: 'string', default: '16' },
    'time-scale': { type: 'string', default: '0.4' },
    'propagation-ms': { type: 'string', default: '1500' },
    /** Overrides the charts' lifecycle.preStopSeconds (0 shows what the hook is for). */
    'pre-stop': { type: 'string' },
  },
});

const postgres = await startPostgres();
const ms = (n: number) => `${n.toFixed(1)} ms`;
let failedTotal = 0;
try {
  for (let round = 1; round <= Number(args.rounds); round++) {
    const databaseUrl = await createDatabase(postgres.url, `bench_rollout_${Date.now()}`);
    const outcome = await runRolloutScenario({
      databaseUrl,
      connections: Number(args.connections),
      timeScale: Number(args['time-scale']),
      propagationMs: Number(args['propagation-ms']),
      ...(args['pre-stop'] !== undefined && { values: { lifecycle: { preStopSeconds: Number(args['pre-stop']) } } }),
    });
    failedTotal += outcome.failed;
    const { spec } = outcome;
    const lines = [
      `round ${round}: preStop ${spec.preStopSeconds} s, grace ${spec.graceSeconds} s, probe period ${spec.periodSeconds} s ` +
        `(chart values; durations × ${spec.timeScale}), endpoint propagation ${spec.propagationMs} ms`,
      `  requests     sent ${outcome.sent}, failed ${outcome.failed}`,
      `  steady       ${outcome.steady.requests} requests, p50 ${ms(outcome.steady.p50)}, p99 ${ms(outcome.steady.p99)}`,
      `  rollout      ${outcome.rollout.requests} requests in ${ms(outcome.rollout.durationMs)}, ` +
        `p50 ${ms(outcome.rollout.p50)}, p99 ${ms(outcome.rollout.p99)}`,
      ...outcome.terminations.map(
        (t) =>
          `  ${t.pod.padEnd(12)} exit ${t.exitCode ?? t.signal}, drain (SIGTERM→exit) ${ms(t.drainMs)}, ` +
          `deletion→exit ${ms(t.totalMs)} of ${ms(t.graceMs)} grace${t.killed ? ', KILLED' : ''}`,
      ),
      ...outcome.failures.slice(0, 3).map((f) => `  failure at ${ms(f.at)}: ${f.error ?? `HTTP ${f.status}`}`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
} finally {
  await postgres.stop();
}
process.exitCode = failedTotal > 0 ? 1 : 0;
