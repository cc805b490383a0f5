// End-to-end ePRO bulk import on PostgreSQL: NDJSON upload through patient-api into
// patient-rpc, until the job is done. Lines/s and each service's peak RSS (VmHWM), CPU and
// sampled heap/external memory. Used by bench/import.ts and `npm run bench`.
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { Transform } from 'node:stream';
import pg from 'pg';
import { generateFile, upload } from '../../tests/integration/importSupport.ts';
import {
  apiEnv,
  chartHeapFlags,
  createDatabase,
  rpcEnv,
  startService,
  type ServiceProcess,
} from '../../tests/support/services.ts';
import { metricValue, sampleValue, scrape } from '../../tests/support/metrics.ts';
import { createTestKeys } from '../../tests/support/tokens.ts';
import { cpuSeconds } from './cpu.ts';

const statusMb = (pid: number | undefined, field: 'VmHWM' | 'VmRSS'): number => {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
};
const vmHwmMb = (pid: number | undefined) => statusMb(pid, 'VmHWM');

/** One sample of the import's progress (every TIMELINE_MS from the start of the upload). */
export interface ImportSample {
  /** Seconds since the upload started. */
  t: number;
  /** Lines sent so far (read from the file into the upload), and processed by the job. */
  uploadedLines: number;
  processedLines: number;
  /** Current RSS (VmRSS) of each service, MB. */
  rpcRssMb: number;
  apiRssMb: number;
}

const TIMELINE_MS = 500;

/** Live V8 heap (MB) of a service after the job, from its /metrics: what is actually retained. */
const heapUsedMb = async (adminPort: number) =>
  Math.round((await metricValue(adminPort, 'nodejs_heap_size_used_bytes')) / 1e6);

export interface ImportResult {
  lines: number;
  bytes: number;
  uploadSeconds: number;
  totalSeconds: number;
  linesPerSecond: number;
  processingLinesPerSecond: number;
  /** Peak RSS right after start-up, before the upload: the baseline. */
  rpcIdlePeakRssMb: number;
  apiIdlePeakRssMb: number;
  /** Peak RSS once the upload is staged (before processing). */
  rpcUploadPeakRssMb: number;
  apiUploadPeakRssMb: number;
  rpcPeakRssMb: number;
  apiPeakRssMb: number;
  rpcHeapUsedAfterMb: number;
  apiHeapUsedAfterMb: number;
  rpcCpuSeconds: number;
  apiCpuSeconds: number;
  countsExact: boolean;
  /** Peaks of each service's V8 heap (total) and external memory (Buffers), MB, sampled every 250 ms. */
  memory: Record<string, { heapTotalMb: number; externalMb: number }>;
  /** Progress and RSS over time, every 0.5 s. */
  timeline: ImportSample[];
}

/** Samples the services' memory gauges from /metrics until stopped; returns the peaks. */
function sampleMemory(adminPorts: Record<string, number>) {
  const peaks: ImportResult['memory'] = {};
  const mb = (text: string, name: string) => Math.round(sampleValue(text, name) / 1e6);
  let stopped = false;
  const loop = (async () => {
    for (let i = 0; i < 4 * 3600 && !stopped; i++) {
      for (const [name, port] of Object.entries(adminPorts)) {
        const text = await scrape(port);
        const p = (peaks[name] ??= { heapTotalMb: 0, externalMb: 0 });
        p.heapTotalMb = Math.max(p.heapTotalMb, mb(text, 'nodejs_heap_size_total_bytes'));
        p.externalMb = Math.max(p.externalMb, mb(text, 'nodejs_external_memory_bytes'));
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return peaks;
    },
  };
}

export interface ImportScenarioOptions {
  /** PostgreSQL server URL; a fresh database is created on it. */
  serverUrl: string;
  lines: number;
  invalidFraction?: number;
  duplicateFraction?: number;
  batchSize?: number;
  /** Node flags for both services instead of their charts' heap flags. */
  nodeFlags?: string[];
}

/**
 * One end-to-end import on fresh processes and a fresh database (so peaks are per size):
 * generate the file, upload it through patient-api, poll until the job is done.
 */
export async function runImportScenario(o: ImportScenarioOptions): Promise<ImportResult> {
  const { serverUrl, lines } = o;
  const flags = o.nodeFlags;
  const keys = await createTestKeys();
  const url = await createDatabase(serverUrl, `bench_import_${lines}_${Date.now()}`);
  const quiet = { PM_LOG__LEVEL: 'info' };
  const rpc = await startService('patient-rpc', {
    nodeArgs: flags ?? chartHeapFlags('patient-rpc'),
    env: rpcEnv(keys.jwksFile, {
      PM_DATABASE__URL: url,
      PM_SEED__PATIENTS: '100',
      PM_IMPORTS__BATCH_SIZE: String(o.batchSize ?? 5000),
      ...quiet,
    }),
  });
  let api: ServiceProcess | undefined;
  const db = new pg.Client({ connectionString: url });
  let timer: NodeJS.Timeout | undefined;
  try {
    api = await startService('patient-api', {
      nodeArgs: flags ?? chartHeapFlags('patient-api'),
      env: apiEnv(`127.0.0.1:${rpc.ports.grpc}`, keys.jwksFile, quiet),
    });
    await db.connect();
    const patients = (await db.query('SELECT id::text FROM patients')).rows.map((r) => r.id as string);
    const { file, expected } = await generateFile({
      lines,
      patients,
      invalidFraction: o.invalidFraction ?? 0.01,
      duplicateFraction: o.duplicateFraction ?? 0.01,
      seed: 7,
    });
    const token = await keys.token({ sub: 'bench', roles: ['importer'] });
    const rpcIdlePeakRssMb = vmHwmMb(rpc.child.pid);
    const rpcCpu0 = cpuSeconds(rpc.child.pid);
    const apiCpu0 = cpuSeconds(api.child.pid);
    const apiIdlePeakRssMb = vmHwmMb(api.child.pid);
    const base = `http://127.0.0.1:${api.ports.http}`;
    const sampling = sampleMemory({ rpc: rpc.ports.admin, api: api.ports.admin });
    // Lines as they leave the file for the upload (a line counts once its newline is read).
    let uploadedLines = 0;
    let processedLines = 0;
    const counting = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) uploadedLines++;
        done(null, chunk);
      },
    });
    const timeline: ImportSample[] = [];
    const t0 = performance.now();
    const rpcPid = rpc.child.pid;
    const apiPid = api.child.pid;
    const sampleTimeline = () =>
      timeline.push({
        t: round((performance.now() - t0) / 1000),
        uploadedLines,
        processedLines,
        rpcRssMb: statusMb(rpcPid, 'VmRSS'),
        apiRssMb: statusMb(apiPid, 'VmRSS'),
      });
    sampleTimeline();
    timer = setInterval(sampleTimeline, TIMELINE_MS);
    const res = await upload(base, token, createReadStream(file, { highWaterMark: 64 * 1024 }).pipe(counting));
    if (res.status !== 202) throw new Error(`upload failed: ${res.status} ${JSON.stringify(res.body)}`);
    const uploadSeconds = (performance.now() - t0) / 1000;
    const uploadPeaks = { rpc: vmHwmMb(rpc.child.pid), api: vmHwmMb(api.child.pid) };
    let job: any;
    for (let i = 0; i < 36_000; i++) {
      const r = await fetch(`${base}/api/v1/epro/imports/${res.body.id}`, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(10_000),
      });
      job = await r.json();
      processedLines = Number(job.linesProcessed ?? 0);
      if (['done', 'failed', 'aborted'].includes(job.state)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const totalSeconds = (performance.now() - t0) / 1000;
    clearInterval(timer);
    sampleTimeline();
    const memory = await sampling.stop();
    return {
      memory,
      timeline,
      lines,
      bytes: statSync(file).size,
      uploadSeconds: round(uploadSeconds),
      totalSeconds: round(totalSeconds),
      linesPerSecond: Math.round(lines / totalSeconds),
      processingLinesPerSecond: Math.round(job.linesPerSecond),
      rpcIdlePeakRssMb,
      apiIdlePeakRssMb,
      rpcUploadPeakRssMb: uploadPeaks.rpc,
      apiUploadPeakRssMb: uploadPeaks.api,
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
    clearInterval(timer);
    await db.end().catch(() => {});
    await api?.stop();
    await rpc.stop();
  }
}

export const round = (n: number) => Math.round(n * 100) / 100;
