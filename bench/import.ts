// End-to-end ePRO bulk import benchmark on PostgreSQL: NDJSON upload through patient-api
// into patient-rpc, until the job is done. Reports lines/s and each service's peak RSS
// (VmHWM); every size runs on fresh processes and a fresh database so peaks are per size.
//   npm exec -- node bench/import.ts [--lines N[,N...]] [--invalid-fraction f] [--duplicate-fraction f]
import { execFile } from 'node:child_process';
import { readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import pg from 'pg';
import startPostgres from '../tests/support/postgresGlobalSetup.ts';
import { generateFile, upload } from '../tests/integration/importSupport.ts';
import { apiEnv, createDatabase, ROOT, rpcEnv, startService, type ServiceProcess } from '../tests/support/services.ts';
import { createTestKeys } from '../tests/support/tokens.ts';

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '100000,1000000' },
    'invalid-fraction': { type: 'string', default: '0.01' },
    'duplicate-fraction': { type: 'string', default: '0.01' },
    'batch-size': { type: 'string', default: '1000' },
    /** Caps each service's V8 old space (MB), to tell a leak from lazy garbage collection. */
    'max-old-space-mb': { type: 'string' },
  },
});
const sizes = values.lines.split(',').map(Number);

const vmHwmMb = (pid: number | undefined): number => {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
};

/** User + system CPU seconds a process has used (clock ticks are 100 Hz on Linux). */
const cpuSeconds = (pid: number | undefined): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return round((Number(fields[11]) + Number(fields[12])) / 100);
};

/** Live V8 heap (MB) of a service after the job, from its /metrics: what is actually retained. */
async function heapUsedMb(adminPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  const m = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})? (\S+)/m.exec(text);
  return m ? Math.round(Number(m[1]) / 1e6) : NaN;
}

interface Result {
  lines: number;
  bytes: number;
  uploadSeconds: number;
  totalSeconds: number;
  linesPerSecond: number;
  processingLinesPerSecond: number;
  /** Peak RSS right after start-up, before the upload: the baseline. */
  rpcIdlePeakRssMb: number;
  apiIdlePeakRssMb: number;
  rpcPeakRssMb: number;
  apiPeakRssMb: number;
  rpcHeapUsedAfterMb: number;
  apiHeapUsedAfterMb: number;
  rpcCpuSeconds: number;
  apiCpuSeconds: number;
  countsExact: boolean;
}

async function runOne(serverUrl: string, lines: number): Promise<Result> {
  const keys = await createTestKeys();
  const url = await createDatabase(serverUrl, `bench_import_${lines}_${Date.now()}`);
  const quiet = { PM_LOG__LEVEL: 'info' };
  const nodeArgs = values['max-old-space-mb'] ? [`--max-old-space-size=${values['max-old-space-mb']}`] : [];
  const rpc = await startService('patient-rpc', {
    nodeArgs,
    env: rpcEnv({
      PM_DATABASE__URL: url,
      PM_SEED__PATIENTS: '100',
      PM_IMPORTS__BATCH_SIZE: values['batch-size'],
      ...quiet,
    }),
  });
  let api: ServiceProcess | undefined;
  const db = new pg.Client({ connectionString: url });
  try {
    api = await startService('patient-api', {
      nodeArgs,
      env: apiEnv(`127.0.0.1:${rpc.ports.grpc}`, keys.jwksFile, quiet),
    });
    await db.connect();
    const patients = (await db.query('SELECT id::text FROM patients')).rows.map((r) => r.id as string);
    const { file, expected } = await generateFile({
      lines,
      patients,
      invalidFraction: Number(values['invalid-fraction']),
      duplicateFraction: Number(values['duplicate-fraction']),
      seed: 7,
    });
    const token = await keys.token({ sub: 'bench', roles: ['importer'] });
    const rpcIdlePeakRssMb = vmHwmMb(rpc.child.pid);
    const rpcCpu0 = cpuSeconds(rpc.child.pid);
    const apiCpu0 = cpuSeconds(api.child.pid);
    const apiIdlePeakRssMb = vmHwmMb(api.child.pid);
    const base = `http://127.0.0.1:${api.ports.http}`;
    const t0 = performance.now();
    const res = await upload(base, token, { file });
    if (res.status !== 202) throw new Error(`upload failed: ${res.status} ${JSON.stringify(res.body)}`);
    const uploadSeconds = (performance.now() - t0) / 1000;
    let job: any;
    for (let i = 0; i < 36_000; i++) {
      const r = await fetch(`${base}/api/v1/epro/imports/${res.body.id}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      job = await r.json();
      if (['done', 'failed', 'aborted'].includes(job.state)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const totalSeconds = (performance.now() - t0) / 1000;
    return {
      lines,
      bytes: statSync(file).size,
      uploadSeconds: round(uploadSeconds),
      totalSeconds: round(totalSeconds),
      linesPerSecond: Math.round(lines / totalSeconds),
      processingLinesPerSecond: Math.round(job.linesPerSecond),
      rpcIdlePeakRssMb,
      apiIdlePeakRssMb,
      rpcPeakRssMb: vmHwmMb(rpc.child.pid),
      rpcHeapUsedAfterMb: await heapUsedMb(rpc.ports.admin),
      apiHeapUsedAfterMb: await heapUsedMb(api.ports.admin),
      rpcCpuSeconds: round(cpuSeconds(rpc.child.pid) - rpcCpu0),
      apiCpuSeconds: round(cpuSeconds(api.child.pid) - apiCpu0),
      apiPeakRssMb: vmHwmMb(api.child.pid),
      countsExact:
        job.state === 'done' &&
        job.accepted === expected.accepted &&
        job.rejected === expected.rejected &&
        job.duplicate === expected.duplicate,
    };
  } finally {
    await db.end().catch(() => {});
    await api?.stop();
    await rpc.stop();
  }
}

const round = (n: number) => Math.round(n * 100) / 100;

async function main(): Promise<void> {
  let serverUrl = '';
  const stopPostgres = await startPostgres({ provide: (_key: string, value: string) => (serverUrl = value) } as never);
  const results: Result[] = [];
  try {
    for (const lines of sizes) {
      const r = await runOne(serverUrl, lines);
      results.push(r);
      process.stdout.write(`${JSON.stringify(r)}\n`);
    }
  } finally {
    await stopPostgres();
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
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: Number(cpu.trim()), store: 'postgresql 15 (fsync=off)', batchSize: Number(values['batch-size']), maxOldSpaceMb: values['max-old-space-mb'] ?? null, results }, null, 2)}\n`,
  );
  process.stdout.write(`wrote ${out}\n`);
}

await main();
