// (g) ePRO import end to end on PostgreSQL: lines/s and each service's peak RSS (VmHWM) per
// size, each on fresh processes and a fresh database (RSS must not grow with size), and
// progress and RSS over time.
import type { BenchContext, Scenario } from '../context.ts';
import { runImportScenario, type ImportResult } from '../lib/importScenario.ts';

export interface ImportScenarioResult {
  sizes: ImportResult[];
}

export const importScenario: Scenario<ImportScenarioResult> = {
  name: 'import',
  label: '(g) ePRO import',
  async run(ctx: BenchContext): Promise<ImportScenarioResult> {
    const sizes: ImportResult[] = [];
    for (const lines of ctx.args.quick ? [10_000] : [100_000, 1_000_000]) {
      sizes.push(await runImportScenario({ serverUrl: ctx.postgres.url, lines }));
      ctx.log(`import ${lines} lines done`);
    }
    return { sizes };
  },
  rows: (r) =>
    r.sizes.map((i) => [
      `${i.lines} lines`,
      `${i.linesPerSecond} lines/s`,
      '',
      '',
      '',
      '',
      `peak RSS rpc ${i.rpcPeakRssMb} MB, api ${i.apiPeakRssMb} MB; counts exact ${i.countsExact}`,
    ]),
};
