// End-to-end ePRO bulk import benchmark on PostgreSQL: NDJSON upload through patient-api
// into patient-rpc, until the job is done. Reports lines/s and each service's peak RSS
// (VmHWM); every size runs on fresh processes and a fresh database so peaks are per size.
//   npm exec -- node bench/import.ts [--lines N[,N...]] [--invalid-fraction f] [--duplicate-fraction f]
import { execFile } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { chartHeapFlags, ROOT } from '../tests/support/services.ts';
import { BENCH_POSTGRES_SETTINGS, startPostgres } from '../tests/support/postgres.ts';
import { round, runImportScenario, type ImportResult } from './lib/importScenario.ts';

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '100000,1000000' },
    'invalid-fraction': { type: 'string', default: '0.01' },
    'duplicate-fraction': { type: 'string', default: '0.01' },
    'batch-size': { type: 'string', default: '5000' },
    /** Node flags for both services instead of their charts' heap flags, space-separated. */
    'node-flags': { type: 'string' },
  },
});
const sizes = values.lines.split(',').map(Number);
const flags = values['node-flags']?.split(' ').filter(Boolean);

async function main(): Promise<void> {
  const postgres = await startPostgres(BENCH_POSTGRES_SETTINGS);
  const serverUrl = postgres.url;
  const results: ImportResult[] = [];
  try {
    for (const lines of sizes) {
      const r = await runImportScenario({
        serverUrl,
        lines,
        invalidFraction: Number(values['invalid-fraction']),
        duplicateFraction: Number(values['duplicate-fraction']),
        batchSize: Number(values['batch-size']),
        ...(flags && { nodeFlags: flags }),
      });
      results.push(r);
      process.stdout.write(`${JSON.stringify(r)}\n`);
    }
  } finally {
    await postgres.stop();
  }
  const header = ['lines', 'MB', 'upload s', 'total s', 'lines/s', 'rpc RSS MB (idle)', 'api RSS MB (idle)', 'exact'];
  const rows = results.map((r) => [
    r.lines,
    round(r.bytes / 1e6),
    r.uploadSeconds,
    r.totalSeconds,
    r.linesPerSecond,
    `${r.rpcPeakRssMb} (${r.rpcIdlePeakRssMb})`,
    `${r.apiPeakRssMb} (${r.apiIdlePeakRssMb})`,
    r.countsExact,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells: unknown[]) => cells.map((c, i) => String(c).padStart(widths[i]!)).join('  ');
  process.stdout.write(`\n${line(header)}\n${rows.map(line).join('\n')}\n`);
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `import-${new Date().toISOString().slice(0, 19).replace(/:/g, '-')}.json`);
  const { stdout: cpu } = await promisify(execFile)('nproc');
  writeFileSync(
    out,
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: Number(cpu.trim()), store: 'postgresql 15', postgres: BENCH_POSTGRES_SETTINGS, batchSize: Number(values['batch-size']), nodeFlags: flags ?? { rpc: chartHeapFlags('patient-rpc'), api: chartHeapFlags('patient-api') }, results }, null, 2)}\n`,
  );
  process.stdout.write(`wrote ${out}\n`);
}

await main();
