// (a′) The read path, cold: patients never read before, each read at most once in the run
// (a fresh slice of ids per round and target, and the run stops when its slice is used
// up), so every read misses patient-rpc's cache and costs a PostgreSQL round trip; the
// table itself is in PostgreSQL's shared buffers. Alternated in the same rounds: the
// system on the warm ids (the reference for cold / warm) and a naive pair holding as many
// patients, read the same way (a Map: cold and warm are the same to it).
import {
  NAIVE_WARMUP_IDS,
  SYSTEMS,
  coldPerRound,
  naiveColdPerRound,
  type BenchContext,
  type Scenario,
} from '../context.ts';
import { runLoad } from '../lib/load.ts';
import { measureReads, type ReadFigures } from '../lib/reads.ts';
import { NAIVE, readRows } from './read.ts';

export interface ReadColdResult {
  connections: number;
  durationS: number;
  rounds: number;
  latency: 'service';
  /** Ids available to each round of each target; a run ends early when it has read them all. */
  idsPerRound: { system: number; naive: number };
  targets: Record<string, ReadFigures>;
}

export const SYSTEM_WARM = `${SYSTEMS.pg}, warm ids`;
export const SYSTEM_COLD = `${SYSTEMS.pg}, cold ids`;
export const NAIVE_COLD = `${NAIVE}, cold ids`;

export const readColdScenario: Scenario<ReadColdResult> = {
  name: 'read-cold',
  label: '(a′) read path, cold',
  async run(ctx: BenchContext): Promise<ReadColdResult> {
    const { connections, durationS, quick } = ctx.args;
    const [data, system, naive] = await Promise.all([ctx.pgData(), ctx.system('pg'), ctx.naiveCold()]);
    const perSystem = coldPerRound(quick);
    const perNaive = naiveColdPerRound(quick);
    const slice = (paths: string[], per: number, round: number) => paths.slice(round * per, (round + 1) * per);
    const coldPaths = data.coldIds.map((id) => `/api/v1/patients/${id}`);
    const warmPaths = data.warmIds.map((id) => `/api/v1/patients/${id}`);
    const pids =
      (...ps: Array<{ child: { pid?: number } }>) =>
      () =>
        ps.map((p) => p.child.pid);
    const systemProcesses = { api: pids(system.api), rpc: pids(system.rpc), postgres: ctx.postgresCpu };
    // autocannon may build a request or two per connection past the limit: the limit leaves
    // them fresh ids too, so none is read twice.
    const limit = (n: number) => Math.max(connections, n - 2 * connections);
    const warm = (durationS: number) =>
      runLoad({ url: system.url, connections, durationS, headers: ctx.auth, paths: warmPaths });
    const targets = await measureReads(
      ctx,
      {
        [SYSTEM_WARM]: { run: (_round, durationS) => warm(durationS), processes: systemProcesses },
        [SYSTEM_COLD]: {
          run: (round, durationS) =>
            runLoad({
              url: system.url,
              connections,
              durationS,
              headers: ctx.auth,
              paths: slice(coldPaths, perSystem, round),
              maxRequests: limit(perSystem),
            }),
          // Warmed up on the warm ids: the cold ones are for the measured rounds only.
          warmup: warm,
          processes: systemProcesses,
        },
        [NAIVE_COLD]: {
          run: (round, durationS) =>
            runLoad({
              url: naive.url,
              connections,
              durationS,
              paths: slice(naive.paths.slice(NAIVE_WARMUP_IDS), perNaive, round),
              maxRequests: limit(perNaive),
            }),
          warmup: (durationS) =>
            runLoad({ url: naive.url, connections, durationS, paths: naive.paths.slice(0, NAIVE_WARMUP_IDS) }),
          processes: { api: pids(naive.api), rpc: pids(naive.rpc) },
        },
      },
      'cold read',
    );
    return {
      connections,
      durationS,
      rounds: ctx.args.rounds,
      latency: 'service',
      idsPerRound: { system: perSystem, naive: perNaive },
      targets,
    };
  },
  rows: (r) => readRows(r.targets),
};
