// Audit appends with 1, 2, 4 … patient-rpc replicas against one PostgreSQL, two ways.
//
// The system: patient-api balancing round-robin over N replicas (static:///…), in the env
// of the read-path system (production, mTLS, PostgreSQL over TLS verify-full, every replica
// running the sequencer with a signing key), on a fresh database per N. Bounded closed-loop
// reads of one patient; each read appends one audit record. Reported: read throughput and
// its ratio to one replica, audit appends/s (rows of audit_log), CPU per append (the
// replicas and PostgreSQL, load through integration), append retries, the p99 of the delay
// from append to integration into the signed tree, and sequence gaps sealed.
//
// The writers alone, in this process: N writers with a pg pool each (as N replicas have),
// today's AuditWriter against the pre-ledger chained one (chainedAuditWriter.ts), at the
// same offered concurrency, each run on a fresh database. Reported: appends/s, CPU per
// append (this process and PostgreSQL) and relinks/retries. Appends only: the sequencer's
// integration work is in the system's figures, not here.
//
// patient-rpc is loaded from its build: Node runs bench files by stripping types only,
// which the service sources (parameter properties, `.js` specifiers) do not allow; the
// build is what the replicas run.
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Registry } from 'prom-client';
import type { AuditEntry } from '../../services/patient-rpc/dist/domain/auditChain.js';
import { AuditWriter } from '../../services/patient-rpc/dist/audit/AuditWriter.js';
import { createPgDb } from '../../services/patient-rpc/dist/store/createPgDb.js';
import type { Db } from '../../services/patient-rpc/dist/store/Db.js';
import { migrate } from '../../services/patient-rpc/dist/store/migrate.js';
import { sampleValue, scrape } from '../../tests/support/metrics.ts';
import {
  apiEnv,
  chartHeapFlags,
  createDatabase,
  rpcEnv,
  startService,
  type ServiceProcess,
} from '../../tests/support/services.ts';
import { ChainedAuditWriter } from './chainedAuditWriter.ts';
import { setupFetch } from './http.ts';
import { measureCpu, type CpuSource } from './cpu.ts';
import { median, runLoad } from './load.ts';

const MIGRATIONS = fileURLToPath(new URL('../../services/patient-rpc/migrations/', import.meta.url));
/** patient-rpc's defaults (database.poolMax, audit.maxBatch), so a writer here is one replica's. */
const POOL_MAX = 10;
const MAX_BATCH = 256;
/** Upper bound on appends per in-process run, whatever the machine's speed. */
const MAX_APPENDS = 1_000_000;
/** Longest wait for the sequencer to integrate a run's records (a sealed gap waits gapGraceMs, 10 s). */
const INTEGRATION_WAIT_MS = 30_000;
const DELAY_HISTOGRAM = 'audit_integration_delay_seconds';

export interface AuditScenarioOptions {
  /** Superuser URL of the PostgreSQL server (plaintext; setup and counting only). */
  serverUrl: string;
  /** That server's own processes, for its CPU. */
  postgres: CpuSource;
  jwksFile: string;
  /** Headers of a clinician's request (the bearer token). */
  headers: Record<string, string>;
  /** patient-rpc's env beyond rpcEnv() and the database URL, as the read-path system has it. */
  rpcExtra: Record<string, string>;
  /** patient-api's env beyond apiEnv(), as the read-path system has it. */
  apiExtra: Record<string, string>;
  replicas: number[];
  rounds: number;
  durationS: number;
  /** HTTP connections for the system; concurrent appenders across the writers alone. */
  connections: number;
  log: (message: string) => void;
}

export interface SystemRun {
  replicas: number;
  /** Responses per second, 503s of load shedding included. */
  rps: number;
  /** 2xx per second: the read throughput (a shed request costs little and audits nothing). */
  okPerS: number;
  p50: number;
  p99: number;
  failed: number;
  appendsPerS: number;
  cpuPerAppendUs: { rpc: number; postgres: number; total: number };
  /** Records per INSERT (audit_commit_batch_size), every replica and round. */
  meanBatch: number;
  /** audit_append_retries_total over every replica and round (expected 0). */
  retries: number;
  /** p99 of audit_integration_delay_seconds, every replica and round (interpolated like histogram_quantile). */
  integrationDelayP99S: number;
  /** Records the sequencer integrated (delay observations) per record appended: 1 when each is integrated once. */
  integrationsPerAppend: number;
  /** Sequencer rounds that failed (their log line), every replica and round. */
  roundsFailed: number;
  gapsSealed: number;
  checkpoints: number;
  /** Every round's records were in a signed checkpoint within INTEGRATION_WAIT_MS. */
  integrated: boolean;
  /** okPerS / okPerS with one replica. */
  readRatio: number;
}

export interface WriterRun {
  replicas: number;
  writer: 'chained' | 'ledger';
  appendsPerS: number;
  cpuPerAppendUs: { writers: number; postgres: number; total: number };
  /** Records per INSERT, every writer and round. */
  meanBatch: number;
  /** Chained: batches relinked to a new tail; ledger: batches retried. Over every round. */
  relinks: number;
  failed: number;
  /** Rows in audit_log = appends that succeeded, in every round. */
  exact: boolean;
}

export interface AuditResult {
  replicas: number[];
  connections: number;
  durationS: number;
  rounds: number;
  system: SystemRun[];
  writers: WriterRun[];
}

export async function runAuditScenario(o: AuditScenarioOptions): Promise<AuditResult> {
  const system = await measureSystems(o);
  const writers = await measureWriters(o);
  return {
    replicas: o.replicas,
    connections: o.connections,
    durationS: o.durationS,
    rounds: o.rounds,
    system,
    writers,
  };
}

/** Rows for the bench table (target, req/s, latency from, p50, p99, p99.9, failed/notes). */
export function auditTableRows(r: AuditResult): string[][] {
  const rows = r.system.map((s) => [
    `system, ${s.replicas} rpc replica${s.replicas > 1 ? 's' : ''}`,
    `${s.okPerS.toFixed(0)} ok/s (× ${s.readRatio.toFixed(2)})`,
    'send (closed loop)',
    s.p50.toFixed(1),
    s.p99.toFixed(1),
    '',
    `${s.failed} non-2xx; ${s.appendsPerS.toFixed(0)} appends/s, ${s.cpuPerAppendUs.total} µs CPU/append, ` +
      `${s.meanBatch.toFixed(1)}/INSERT, ` +
      `${s.retries} retries, integrated p99 ${s.integrationDelayP99S.toFixed(2)} s${s.integrated ? '' : ' (NOT all)'}, ` +
      `${s.gapsSealed} gaps, ${s.integrationsPerAppend.toFixed(2)} integrations/append, ${s.roundsFailed} rounds failed`,
  ]);
  for (const w of r.writers)
    rows.push([
      `writers alone, ${w.replicas} × ${w.writer}`,
      '',
      '',
      '',
      '',
      '',
      '',
      `${w.failed} failed; ${w.appendsPerS.toFixed(0)} appends/s, ${w.cpuPerAppendUs.total} µs CPU/append, ` +
        `${w.meanBatch.toFixed(1)}/INSERT, ` +
        `${w.relinks} ${w.writer === 'chained' ? 'relinks' : 'retries'}${w.exact ? '' : ', ROW COUNT OFF'}`,
    ]);
  return rows;
}

// --- the system --------------------------------------------------------------------------

interface System {
  replicas: ServiceProcess[];
  api: ServiceProcess;
  url: string;
  databaseUrl: string;
  path: string;
}

interface SystemSample {
  rps: number;
  okPerS: number;
  p50: number;
  p99: number;
  failed: number;
  appends: number;
  appendsPerS: number;
  rpcUs: number;
  postgresUs: number;
  batches: number;
  retries: number;
  gaps: number;
  checkpoints: number;
  roundsFailed: number;
  delayBuckets: Map<number, number>;
  integrated: boolean;
}

async function measureSystems(o: AuditScenarioOptions): Promise<SystemRun[]> {
  // Every process started, whatever fails: all are stopped at the end.
  const processes: ServiceProcess[] = [];
  try {
    const starting = await Promise.allSettled(o.replicas.map((n) => startSystem(o, n, processes)));
    const failed = starting.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    const systems = starting.map((s) => (s as PromiseFulfilledResult<System>).value);
    o.log(`audit: systems with ${o.replicas.join(', ')} rpc replicas up`);
    const samples = systems.map((): SystemSample[] => []);
    for (let round = 0; round < o.rounds; round++)
      for (const [i, system] of systems.entries()) {
        samples[i]!.push(await measureSystem(o, system));
        o.log(`audit round ${round + 1}/${o.rounds}: system with ${system.replicas.length} rpc replica(s)`);
      }
    const runs = systems.map((system, i) => summarise(system.replicas.length, samples[i]!));
    const one = runs.find((r) => r.replicas === 1)?.okPerS ?? NaN;
    return runs.map((r) => ({ ...r, readRatio: r.okPerS / one }));
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
  }
}

async function startSystem(o: AuditScenarioOptions, n: number, processes: ServiceProcess[]): Promise<System> {
  const databaseUrl = await createDatabase(o.serverUrl, `bench_audit_replicas_${n}_${Date.now()}`);
  // Started together, as a Deployment's pods are: migrations run once, under their lock.
  const started = (p: ServiceProcess) => (processes.push(p), p);
  const replicas = await Promise.all(
    Array.from({ length: n }, async () =>
      started(
        await startService('patient-rpc', {
          nodeArgs: chartHeapFlags('patient-rpc'),
          env: rpcEnv(o.jwksFile, { ...o.rpcExtra, PM_DATABASE__URL: databaseUrl }),
        }),
      ),
    ),
  );
  const target = `static:///${replicas.map((r) => `127.0.0.1:${r.ports.grpc}`).join(',')}`;
  const api = started(
    await startService('patient-api', {
      nodeArgs: chartHeapFlags('patient-api'),
      env: apiEnv(target, o.jwksFile, o.apiExtra),
    }),
  );
  const url = `http://127.0.0.1:${api.ports.http}`;
  const res = await setupFetch(`${url}/api/v1/patients`, {
    method: 'POST',
    headers: { ...o.headers, 'content-type': 'application/json' },
    body: JSON.stringify({
      trialId: 'TRIAL-A',
      siteId: 'SITE-1',
      subjectCode: `A-${n}`,
      givenName: 'Audit',
      familyName: 'Bench',
      birthDate: '1970-01-01',
      sex: 'unknown',
    }),
  });
  if (!res.ok) throw new Error(`audit scenario: creating the patient answered ${res.status}: ${await res.text()}`);
  const { id } = (await res.json()) as { id: string };
  return { replicas, api, url, databaseUrl, path: `/api/v1/patients/${id}` };
}

async function measureSystem(o: AuditScenarioOptions, s: System): Promise<SystemSample> {
  const client = new pg.Client({ connectionString: s.databaseUrl });
  await client.connect();
  try {
    const metricsBefore = await scrapeAll(s.replicas);
    const failedBefore = failedRounds(s.replicas);
    const rowsBefore = await appendedRows(client);
    const rpcPids = () => s.replicas.map((r) => r.child.pid);
    // Load, then the wait for the sequencer: CPU per append includes integrating it.
    const { result, cpu } = await measureCpu({ rpc: rpcPids, postgres: o.postgres }, async () => {
      const t0 = performance.now();
      const load = await runLoad({
        url: s.url,
        connections: o.connections,
        durationS: o.durationS,
        headers: o.headers,
        paths: [s.path],
      });
      const elapsedS = (performance.now() - t0) / 1000;
      return { load, elapsedS, integrated: await waitForIntegration(client) };
    });
    const appends = (await appendedRows(client)) - rowsBefore;
    const metricsAfter = await scrapeAll(s.replicas);
    const delta = (name: string) => sum(metricsAfter, name) - sum(metricsBefore, name);
    const bucketsAfter = buckets(metricsAfter, DELAY_HISTOGRAM);
    const bucketsBefore = buckets(metricsBefore, DELAY_HISTOGRAM);
    return {
      rps: result.load.rps,
      okPerS: result.load.goodput,
      p50: result.load.p50,
      p99: result.load.p99,
      failed: result.load.non2xx + result.load.errors + result.load.timeouts,
      appends,
      appendsPerS: appends / result.elapsedS,
      rpcUs: (cpu['rpc']! / appends) * 1e6,
      postgresUs: (cpu['postgres']! / appends) * 1e6,
      batches: delta('audit_commit_batch_size_count'),
      retries: delta('audit_append_retries_total'),
      gaps: delta('audit_sequence_gaps_total'),
      checkpoints: delta('audit_checkpoints_total'),
      roundsFailed: failedRounds(s.replicas) - failedBefore,
      delayBuckets: new Map([...bucketsAfter].map(([le, count]) => [le, count - (bucketsBefore.get(le) ?? 0)])),
      integrated: result.integrated,
    };
  } finally {
    await client.end();
  }
}

function summarise(replicas: number, samples: SystemSample[]): Omit<SystemRun, 'readRatio'> {
  const rpc = Math.round(median(samples.map((s) => s.rpcUs)));
  const postgres = Math.round(median(samples.map((s) => s.postgresUs)));
  const delay = new Map<number, number>();
  for (const s of samples) for (const [le, count] of s.delayBuckets) delay.set(le, (delay.get(le) ?? 0) + count);
  const total = (pick: (s: SystemSample) => number) => samples.reduce((a, s) => a + pick(s), 0);
  return {
    replicas,
    rps: median(samples.map((s) => s.rps)),
    okPerS: median(samples.map((s) => s.okPerS)),
    p50: median(samples.map((s) => s.p50)),
    p99: median(samples.map((s) => s.p99)),
    failed: total((s) => s.failed),
    appendsPerS: median(samples.map((s) => s.appendsPerS)),
    cpuPerAppendUs: { rpc, postgres, total: rpc + postgres },
    meanBatch: total((s) => s.appends) / total((s) => s.batches),
    retries: total((s) => s.retries),
    integrationDelayP99S: quantile(delay, 0.99),
    integrationsPerAppend: (delay.get(Infinity) ?? 0) / total((s) => s.appends),
    roundsFailed: total((s) => s.roundsFailed),
    gapsSealed: total((s) => s.gaps),
    checkpoints: total((s) => s.checkpoints),
    integrated: samples.every((s) => s.integrated),
  };
}

/** Audit records appended by callers (the sequencer's gap records are counted apart). */
async function appendedRows(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ n: string }>(
    "SELECT count(*)::text AS n FROM audit_log WHERE action <> 'audit.gap'",
  );
  return Number(rows[0]!.n);
}

/** Waits (bounded) until the latest signed checkpoint covers every committed record. */
async function waitForIntegration(client: pg.Client): Promise<boolean> {
  const deadline = performance.now() + INTEGRATION_WAIT_MS;
  while (performance.now() < deadline) {
    const { rows } = await client.query<{ covered: boolean }>(
      `SELECT (SELECT COALESCE(max(tree_size), 0) FROM audit_checkpoints)
           >= (SELECT COALESCE(max(seq), 0) FROM audit_log) AS covered`,
    );
    if (rows[0]!.covered) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

const failedRounds = (replicas: ServiceProcess[]) =>
  replicas.reduce((a, r) => a + r.logs.filter((l) => l.msg === 'audit checkpoint round failed').length, 0);
const scrapeAll = (replicas: ServiceProcess[]) => Promise.all(replicas.map((r) => scrape(r.ports.admin)));
const sum = (texts: string[], name: string) => texts.reduce((a, text) => a + sampleValue(text, name), 0);

/** A histogram's cumulative bucket counts (upper bound → count), summed over expositions. */
function buckets(texts: string[], name: string): Map<number, number> {
  const counts = new Map<number, number>();
  const line = new RegExp(`^${name}_bucket\\{(?:.*,)?le="([^"]+)"[^}]*\\} (\\S+)$`, 'gm');
  for (const text of texts)
    for (const [, le, value] of text.matchAll(line)) {
      const bound = le === '+Inf' ? Infinity : Number(le);
      counts.set(bound, (counts.get(bound) ?? 0) + Number(value));
    }
  return counts;
}

/** The q-quantile of cumulative buckets, interpolated within its bucket as histogram_quantile does. */
function quantile(cumulative: Map<number, number>, q: number): number {
  const sorted = [...cumulative].sort(([a], [b]) => a - b);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (total === 0) return NaN;
  const rank = q * total;
  let [lower, below] = [0, 0];
  for (const [bound, count] of sorted) {
    if (count >= rank) {
      if (bound === Infinity) return lower;
      return lower + ((bound - lower) * (rank - below)) / (count - below);
    }
    [lower, below] = [bound, count];
  }
  return lower;
}

// --- the writers alone -------------------------------------------------------------------

interface Writer {
  append(entry: AuditEntry): Promise<void>;
}

interface WriterSample {
  appendsPerS: number;
  writersUs: number;
  postgresUs: number;
  appends: number;
  batches: number;
  relinks: number;
  failed: number;
  exact: boolean;
}

const WRITERS = {
  chained: {
    create: (db: Db, registry: Registry): Writer => new ChainedAuditWriter(db, { maxBatch: MAX_BATCH }, registry),
    counter: 'audit_append_relinks_total',
  },
  ledger: {
    create: (db: Db, registry: Registry): Writer => new AuditWriter(db, { maxBatch: MAX_BATCH }, registry),
    counter: 'audit_append_retries_total',
  },
} as const;

async function measureWriters(o: AuditScenarioOptions): Promise<WriterRun[]> {
  const kinds = Object.keys(WRITERS) as Array<keyof typeof WRITERS>;
  const samples = new Map<string, WriterSample[]>();
  for (let round = 0; round < o.rounds; round++)
    for (const n of o.replicas)
      // Alternating which writer goes first, so neither always meets the warmer server.
      for (const kind of round % 2 ? [...kinds].reverse() : kinds) {
        const key = `${n} ${kind}`;
        samples.set(key, [...(samples.get(key) ?? []), await measureWriter(o, kind, n)]);
        o.log(`audit round ${round + 1}/${o.rounds}: ${n} × ${kind} writer alone`);
      }
  return o.replicas.flatMap((n) =>
    kinds.map((writer) => {
      const runs = samples.get(`${n} ${writer}`)!;
      const writers = Math.round(median(runs.map((s) => s.writersUs)));
      const postgres = Math.round(median(runs.map((s) => s.postgresUs)));
      return {
        replicas: n,
        writer,
        appendsPerS: median(runs.map((s) => s.appendsPerS)),
        cpuPerAppendUs: { writers, postgres, total: writers + postgres },
        meanBatch: runs.reduce((a, s) => a + s.appends, 0) / runs.reduce((a, s) => a + s.batches, 0),
        relinks: runs.reduce((a, s) => a + s.relinks, 0),
        failed: runs.reduce((a, s) => a + s.failed, 0),
        exact: runs.every((s) => s.exact),
      };
    }),
  );
}

/** One run: `n` writers, each with its own pool, on a fresh database, `connections` appenders in all. */
async function measureWriter(o: AuditScenarioOptions, kind: keyof typeof WRITERS, n: number): Promise<WriterSample> {
  const url = await createDatabase(o.serverUrl, `bench_audit_${kind}_${n}_${Date.now()}`);
  // As patient-rpc connects: the database.tls settings the replicas get.
  const tls = {
    mode: (o.rpcExtra['PM_DATABASE__TLS__MODE'] ?? 'disable') as 'disable' | 'verify-full',
    caFile: o.rpcExtra['PM_DATABASE__TLS__CA_FILE'] ?? '',
    certFile: '',
    keyFile: '',
  };
  const dbs = Array.from({ length: n }, () => createPgDb({ url, poolMax: POOL_MAX, statementTimeoutMs: 5000, tls }));
  try {
    await migrate(dbs[0]!, MIGRATIONS);
    const registries = dbs.map(() => new Registry());
    const writers = dbs.map((db, i) => WRITERS[kind].create(db, registries[i]!));
    // Outside the measurement: connections (TLS handshakes), prepared statements, the chain's tail.
    await Promise.all(writers.map((w) => w.append(entry('warm-up'))));
    const { result, cpu } = await measureCpu({ postgres: o.postgres }, () =>
      appendConcurrently(writers, o.connections, o.durationS),
    );
    const [rows] = await dbs[0]!.query<{ n: string }>('SELECT count(*)::text AS n FROM audit_log');
    const texts = await Promise.all(registries.map((r) => r.metrics()));
    const total = (name: string) => texts.reduce((a, text) => a + sampleValue(text, name), 0);
    return {
      appendsPerS: result.appends / result.elapsedS,
      writersUs: (cpu['loadgen']! / result.appends) * 1e6,
      postgresUs: (cpu['postgres']! / result.appends) * 1e6,
      appends: result.appends,
      // The warm-up's one-record batches left out.
      batches: total('audit_commit_batch_size_count') - n,
      relinks: total(WRITERS[kind].counter),
      failed: result.failed,
      exact: Number(rows!.n) === result.appends + n,
    };
  } finally {
    await Promise.all(dbs.map((db) => db.close()));
  }
}

/** `concurrency` callers, spread evenly over the writers, each appending one record at a time. */
async function appendConcurrently(writers: Writer[], concurrency: number, durationS: number) {
  const t0 = performance.now();
  const deadline = t0 + durationS * 1000;
  let [started, appends, failed] = [0, 0, 0];
  await Promise.all(
    Array.from({ length: concurrency }, async (_, caller) => {
      const writer = writers[caller % writers.length]!;
      while (started < MAX_APPENDS && performance.now() < deadline) {
        started++;
        try {
          await writer.append(entry(`${caller}-${started}`));
          appends++;
        } catch {
          failed++;
        }
      }
    }),
  );
  return { appends, failed, elapsedS: (performance.now() - t0) / 1000 };
}

const entry = (requestId: string): AuditEntry => ({
  actor: 'bench',
  role: 'clinician',
  action: 'patient.read',
  patientId: '00000000-0000-4000-8000-000000000000',
  outcome: 'ok',
  requestId,
  traceId: '',
});
