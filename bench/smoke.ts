// The benchmark as a CI smoke: `bench/run.ts --quick` into an output directory (never
// docs/ or bench/results/), then a check of the results file it wrote: the current format,
// every scenario present with a result, the figures listed. Nothing about speed is checked.
// Prints one line "bench smoke: ok …" or "bench smoke: FAILED …"; exit 0 or 1.
//
//   npm exec -- node bench/smoke.ts [--out .data/bench] [--timeout-minutes 15]
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../tests/support/services.ts';
import { readResults } from './report.ts';
import { SCENARIOS } from './scenarios/index.ts';

const { values } = parseArgs({
  options: { out: { type: 'string', default: '.data/bench' }, 'timeout-minutes': { type: 'string', default: '15' } },
});
const out = resolve(ROOT, values.out);
const timeoutMs = Number(values['timeout-minutes']) * 60_000;

function fail(reason: string): never {
  process.stdout.write(`bench smoke: FAILED: ${reason}\n`);
  process.exit(1);
}

mkdirSync(out, { recursive: true });
const before = new Set(readdirSync(out));
const t0 = performance.now();
const code = await new Promise<number | null>((done) => {
  const child = spawn(process.execPath, [join(ROOT, 'bench', 'run.ts'), '--quick', '--out', out], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  // Bounded: a hung run is stopped (SIGTERM: it stops what it started), then killed.
  const timer = setTimeout(() => {
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 30_000).unref();
  }, timeoutMs);
  child.once('exit', (exitCode) => {
    clearTimeout(timer);
    done(exitCode);
  });
});
const seconds = Math.round((performance.now() - t0) / 1000);
if (code !== 0) fail(`bench/run.ts --quick exited ${code} after ${seconds} s`);
const written = readdirSync(out).filter((f) => /^bench-.*\.json$/.test(f) && !before.has(f));
if (written.length !== 1) fail(`expected one new results file in ${out}, found ${written.length}`);
const file = join(out, written[0]!);
let results;
try {
  results = readResults(file);
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
const missing = SCENARIOS.filter((s) => results.scenarios[s.name]?.result === undefined).map((s) => s.name);
if (missing.length) fail(`${file}: no result for ${missing.join(', ')}`);
if (!results.figures.length) fail(`${file}: no figures`);
process.stdout.write(
  `bench smoke: ok, ${SCENARIOS.length} scenarios and ${results.figures.length} figures in ${file} (${seconds} s)\n`,
);
