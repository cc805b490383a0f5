// (d) Breaker open: a system whose rpc fails every call, its breaker tripped, against the
// healthy system, paced at the 50 % load rate (at saturation both would only measure
// queueing), alternated each round; medians over rounds. The ratio is of p99s from the
// scheduled send.
import { alternate, REQUEST_TIMEOUT_MS, type BenchContext, type Scenario } from '../context.ts';
import { runPacedLoad, type PacedResult } from '../lib/paced.ts';
import { capacityOf } from './capacity.ts';
import { LATENCY_DEFINITIONS, PACED_CONNECTIONS, pacedFigures, pacedRows, type PacedFigures } from './halfLoad.ts';

export interface BreakerResult {
  rate: number;
  connections: number;
  durationS: number;
  rounds: number;
  latency: typeof LATENCY_DEFINITIONS;
  /** Requests it took to open the breaker (its answer's reason became breaker_open). */
  tripRequests: number;
  healthy: PacedFigures;
  open: PacedFigures;
}

const HEALTHY = 'healthy';
const OPEN = 'open';

export const breakerScenario: Scenario<BreakerResult> = {
  name: 'breaker',
  label: '(d) breaker, paced',
  needs: ['capacity'],
  async run(ctx: BenchContext): Promise<BreakerResult> {
    const rate = Math.max(1, Math.round(capacityOf(ctx).capacity / 2));
    const { durationS } = ctx.args;
    const [data, healthy, faulty] = await Promise.all([ctx.pgData(), ctx.system('pg'), ctx.system('faulty')]);
    const paths = data.warmIds.map((id) => `/api/v1/patients/${id}`);
    let tripRequests = 0;
    for (; tripRequests < 200;) {
      tripRequests++;
      const res = await fetch(`${faulty.url}${paths[0]}`, {
        headers: ctx.auth,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const body = (await res.json()) as { reason?: string };
      if (body.reason === 'breaker_open') break;
    }
    const common = { rate, durationS, connections: PACED_CONNECTIONS, headers: ctx.auth, paths, keepSamples: true };
    const runs = await alternate(
      ctx.args.rounds,
      [HEALTHY, OPEN],
      (name): Promise<PacedResult> => runPacedLoad({ ...common, url: name === OPEN ? faulty.url : healthy.url }),
      (m) => ctx.log(`breaker ${m}`),
    );
    return {
      rate,
      connections: PACED_CONNECTIONS,
      durationS,
      rounds: ctx.args.rounds,
      latency: LATENCY_DEFINITIONS,
      tripRequests,
      healthy: pacedFigures(runs[HEALTHY]!),
      open: pacedFigures(runs[OPEN]!),
    };
  },
  rows: (r) => [
    ...pacedRows(`healthy path @ ${r.rate}/s`, r.healthy),
    ...pacedRows(`open: fail fast (503) @ ${r.rate}/s`, r.open, 'failures expected'),
  ],
};
