// (h) Cold start: process start to ready (its `listening` log), per service, migrations
// already applied; PGlite creating a new store is reported apart (full runs only).
import { apiEnv, rpcEnv, startService } from '../../tests/support/services.ts';
import type { BenchContext, Scenario } from '../context.ts';
import { median } from '../lib/load.ts';

export interface StartupResult {
  samples: number;
  /** Median ms per service. */
  coldStartMs: Record<string, number>;
}

export const startupScenario: Scenario<StartupResult> = {
  name: 'startup',
  label: '(h) cold start',
  async run(ctx: BenchContext): Promise<StartupResult> {
    await ctx.pgData(); // the migrations, applied once
    const system = await ctx.system('pg');
    const { production } = ctx.env;
    const services: Array<[string, 'patient-api' | 'patient-rpc', Record<string, string>]> = [
      [
        'patient-rpc (PostgreSQL)',
        'patient-rpc',
        rpcEnv(ctx.keys.jwksFile, { ...production, ...ctx.dbTls, PM_DATABASE__URL: ctx.postgres.url }),
      ],
      ...(ctx.args.quick
        ? []
        : ([
            [
              'patient-rpc (PGlite, new store)',
              'patient-rpc',
              rpcEnv(ctx.keys.jwksFile, { PM_DATABASE__PGLITE_DIR: 'memory://' }),
            ],
          ] as Array<[string, 'patient-rpc', Record<string, string>]>)),
      [
        'patient-api',
        'patient-api',
        apiEnv(`static:///127.0.0.1:${system.rpc.ports.grpc}`, ctx.keys.jwksFile, production),
      ],
    ];
    const samples = ctx.args.quick ? 1 : 3;
    const coldStartMs: Record<string, number> = {};
    for (const [name, service, env] of services) {
      const times: number[] = [];
      for (let i = 0; i < samples; i++) {
        const t0 = performance.now();
        const p = await startService(service, { env });
        times.push(performance.now() - t0);
        await p.stop();
      }
      coldStartMs[name] = Math.round(median(times));
    }
    return { samples, coldStartMs };
  },
  rows: (r) => Object.entries(r.coldStartMs).map(([name, ms]) => [name, '', '', '', '', '', `${ms} ms`]),
};
