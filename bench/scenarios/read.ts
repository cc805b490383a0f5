// (a) The read path, warm: GET /api/v1/patients/:id of 100 patients (after the first round
// all in patient-rpc's cache) at a fixed concurrency, closed loop, every target alternated
// each round: bare-http (the machine's floor), the naive pair, and the system with
// production defaults on PostgreSQL (tracing to the sink; without tracing; without in-app
// mTLS) and on PGlite; --quick measures the first system alone (fewer processes to start;
// PGlite's store is created by initdb in WASM). Each target is warmed up first, unmeasured. CPU
// per request of each target's processes, PostgreSQL's own processes included.
import { SYSTEMS, type BenchContext, type Scenario, type SystemKey } from '../context.ts';
import { runLoad } from '../lib/load.ts';
import { measureReads, type ReadFigures, type ReadTarget } from '../lib/reads.ts';
import { fmt } from '../report.ts';

export interface ReadResult {
  connections: number;
  durationS: number;
  rounds: number;
  latency: 'service';
  targets: Record<string, ReadFigures>;
}

export const BARE = 'bare-http';
export const NAIVE = 'naive-pair';

export const readScenario: Scenario<ReadResult> = {
  name: 'read',
  label: '(a) read path, warm',
  async run(ctx: BenchContext): Promise<ReadResult> {
    const { connections, durationS, quick } = ctx.args;
    const keys: SystemKey[] = quick ? ['pg'] : ['pg', 'pg-notrace', 'pg-plain', 'lite'];
    const [base, data, systems, litePaths] = await Promise.all([
      ctx.baselines(),
      ctx.pgData(),
      Promise.all(keys.map((k) => ctx.system(k))),
      quick ? Promise.resolve([]) : ctx.litePaths(),
    ]);
    const pgPaths = data.warmIds.map((id) => `/api/v1/patients/${id}`);
    const pids =
      (...ps: Array<{ child: { pid?: number } }>) =>
      () =>
        ps.map((p) => p.child.pid);
    const targets: Record<string, ReadTarget> = {
      [BARE]: {
        run: (_round, durationS) => runLoad({ url: `${base.bareUrl}/`, connections, durationS }),
        processes: { server: pids(base.bare) },
      },
      [NAIVE]: {
        run: (_round, durationS) => runLoad({ url: base.naiveUrl, connections, durationS, paths: base.naivePaths }),
        processes: { api: pids(base.naiveApi), rpc: pids(base.naiveRpc) },
      },
    };
    for (const [i, key] of keys.entries()) {
      const s = systems[i]!;
      targets[SYSTEMS[key]] = {
        run: () =>
          runLoad({
            url: s.url,
            connections,
            durationS,
            headers: ctx.auth,
            paths: key === 'lite' ? litePaths : pgPaths,
          }),
        processes: {
          api: pids(s.api),
          rpc: pids(s.rpc),
          ...(key !== 'lite' && { postgres: ctx.postgresCpu }),
        },
      };
    }
    return {
      connections,
      durationS,
      rounds: ctx.args.rounds,
      latency: 'service',
      targets: await measureReads(ctx, targets, 'read path'),
    };
  },
  rows: (r) => readRows(r.targets),
};

export function readRows(targets: Record<string, ReadFigures>): string[][] {
  return Object.entries(targets).map(([name, v]) => [
    `${name} @ ${v.connections} conn.`,
    `${fmt(v.goodput, 0)} ok/s`,
    'send (closed loop)',
    fmt(v.p50, 1),
    fmt(v.p99, 1),
    '',
    `${v.failed}${failedStatuses(v.statuses)}; CPU µs/2xx ${Object.entries(v.cpuPerRequestUs)
      .map(([k, us]) => `${k} ${us}`)
      .join(', ')} (total ${v.cpuTotalUs})`,
  ]);
}

/** " (503 × 12, 404 × 1)": the answers other than 2xx by status. */
export function failedStatuses(statuses: Record<string, number>): string {
  const other = Object.entries(statuses).filter(([code]) => !code.startsWith('2'));
  return other.length ? ` (${other.map(([code, n]) => `${code} × ${fmt(n)}`).join(', ')})` : '';
}
