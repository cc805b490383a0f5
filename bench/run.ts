// `npm run bench`: the system under test against baselines started and measured in the
// same run, alternating, several rounds, medians — so the figures are ratios that hold
// on a noisy shared machine. Each scenario is a module in bench/scenarios/; this parses
// the arguments, builds the shared context, runs the scenarios asked for in order, prints
// the table and writes <out>/bench-<time>.json (bench/report.ts). A full run then
// regenerates docs/performance.md's tables (bench/docs.ts) and docs/img/bench/*.svg
// (bench/plots.ts) from its results.
//
//   npm run bench                              full run (~20 minutes)
//   npm run bench -- --quick                   one short round of each scenario (CI smoke; not asserted)
//   npm run bench -- --only read,read-cold     some scenarios (and the ones they need, e.g. capacity)
//   options: --rounds N --duration S --connections N --sweep 8,16,… --out DIR --no-docs --no-shedding
import { loadavg } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../tests/support/services.ts';
import { createContext, type BenchArgs, type BenchContext } from './context.ts';
import { updateDocs } from './docs.ts';
import { writePlots } from './plots.ts';
import {
  DEFINITIONS,
  figures,
  gitInfo,
  machine,
  printReport,
  RESULTS_DIR,
  RESULTS_FORMAT,
  RESULTS_VERSION,
  writeResults,
  type BenchResults,
  type ScenarioRecord,
} from './report.ts';
import { SCENARIOS, selectScenarios } from './scenarios/index.ts';

const { values } = parseArgs({
  allowNegative: true,
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    connections: { type: 'string', default: '32' },
    sweep: { type: 'string' },
    only: { type: 'string' },
    out: { type: 'string' },
    docs: { type: 'boolean' },
    shedding: { type: 'boolean', default: true },
  },
});

const positive = (name: string, text: string) => {
  const n = Number(text);
  if (!(n > 0) || !Number.isFinite(n)) throw new Error(`--${name}: expected a positive number, got ${text}`);
  return n;
};
const only = values.only
  ?.split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const out = values.out === undefined ? RESULTS_DIR : isAbsolute(values.out) ? values.out : resolve(values.out);
const args: BenchArgs = {
  quick: values.quick,
  rounds: Math.round(positive('rounds', values.rounds ?? (values.quick ? '1' : '3'))),
  durationS: positive('duration', values.duration ?? (values.quick ? '1' : '8')),
  connections: Math.round(positive('connections', values.connections)),
  sweep: (values.sweep ?? (values.quick ? '8,32,128' : '8,16,32,64,128,256'))
    .split(',')
    .map((s) => Math.round(positive('sweep', s))),
  only,
  out,
  // Only a full run of every scenario into bench/results rewrites the docs; --quick never does.
  docs: !values.quick && (values.docs ?? (!only && out === RESULTS_DIR)),
  shedding: values.shedding,
};
const scenarios = selectScenarios(only);
const t0 = performance.now();
const log = (message: string) =>
  process.stderr.write(`bench ${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s: ${message}\n`);

async function main(): Promise<void> {
  const startedAt = new Date();
  const load = { start: loadavg() };
  log(`scenarios: ${scenarios.map((s) => s.name).join(', ')}`);
  let ctx: BenchContext | undefined;
  const stop = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping`);
    void (ctx?.close('SIGKILL') ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    ctx = await createContext(args, log);
    const records: Record<string, ScenarioRecord> = {};
    for (const scenario of scenarios) {
      const s0 = performance.now();
      log(`${scenario.name}: start`);
      const result = await scenario.run(ctx);
      ctx.results[scenario.name] = result;
      records[scenario.name] = { label: scenario.label, elapsedS: seconds(s0), result };
      log(`${scenario.name}: done in ${records[scenario.name]!.elapsedS} s`);
    }
    await ctx.close();
    ctx = undefined;
    const results: BenchResults = {
      format: RESULTS_FORMAT,
      version: RESULTS_VERSION,
      description:
        'One run of npm run bench (bench/run.ts): the system under test against baselines in the same run, ' +
        'targets alternated over rounds, medians. Scenarios by name (see bench/scenarios/), then every ratio as a figure.',
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      elapsedS: seconds(t0),
      machine: machine(load),
      git: gitInfo(),
      args,
      definitions: DEFINITIONS,
      scenarios: records,
      figures: figures(records),
    };
    printReport(results, SCENARIOS);
    const file = writeResults(results, args.out);
    process.stdout.write(`\nwritten: ${file}\n`);
    if (args.docs) {
      updateDocs(results, file);
      const svgs = await writePlots(results, join(ROOT, 'docs', 'img', 'bench'));
      process.stdout.write(
        `docs: docs/performance.md tables and ${svgs.length} plots in docs/img/bench/ regenerated\n`,
      );
    }
  } catch (error) {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    await ctx?.close('SIGKILL').catch(() => {});
    process.exit(1);
  }
}

const seconds = (t: number) => Math.round((performance.now() - t) / 100) / 10;

await main();
