// `npm run bench`: the system under test against baselines started and measured in the
// same run, alternating, several rounds, medians — so the figures are ratios that hold
// on a noisy shared machine. Prints a table and writes bench/results/<time>.json.
//
//   npm run bench                 full run (several minutes)
//   npm run bench -- --quick      one short round of each scenario (CI smoke; not asserted)
//   npm run bench -- --only audit audit appends across replicas alone (j)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { BENCH_POSTGRES_SETTINGS } from '../tests/support/postgres.ts';
import { runRolloutScenario } from '../tests/lifecycle/harness/rolloutScenario.ts';
import {
  apiEnv,
  chartHeapFlags,
  createDatabase,
  ROOT,
  rpcEnv,
  startProcess,
  startService,
  testMesh,
  type ServiceProcess,
} from '../tests/support/services.ts';
import { createTestKeys } from '../tests/support/tokens.ts';
import { auditTableRows, runAuditScenario } from './lib/auditScenario.ts';
import { measureCpu, postgresPids } from './lib/cpu.ts';
import { runImportScenario, type ImportResult } from './lib/importScenario.ts';
import { startTlsPostgres } from './lib/tlsPostgres.ts';
import { median, medians, runLoad, type LoadResult } from './lib/load.ts';
import { runPacedLoad, type PacedResult } from './lib/paced.ts';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    connections: { type: 'string', default: '32' },
    only: { type: 'string' },
  },
});
if (args.only !== undefined && args.only !== 'audit') throw new Error(`--only: unknown scenario ${args.only} (audit)`);
const rounds = Number(args.rounds ?? (args.quick ? 1 : 3));
const durationS = Number(args.duration ?? (args.quick ? 2 : 8));
const connections = Number(args.connections);
const started: ServiceProcess[] = [];
const log = (message: string) => process.stderr.write(`bench: ${message}\n`);

/** An OTLP/HTTP sink that accepts and discards spans, so tracing costs what it costs. */
async function startOtlpSink(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/json' });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const keys = await createTestKeys();
  const token = await keys.token({ sub: 'bench', roles: ['clinician'] });
  const auth = { authorization: `Bearer ${token}` };
  // PostgreSQL over TLS (verify-full), as production mode requires.
  const { postgres, rpcEnv: dbTls } = await startTlsPostgres(BENCH_POSTGRES_SETTINGS);
  const sink = await startOtlpSink();
  const production = { PM_SERVICE__ENVIRONMENT: 'production', PM_LOG__LEVEL: 'info' };
  const highLimits = {
    PM_RATE_LIMIT__SUBJECT__BURST: '1000000000',
    PM_RATE_LIMIT__SUBJECT__PER_SECOND: '1000000000',
    PM_RATE_LIMIT__GLOBAL__BURST: '1000000000',
    PM_RATE_LIMIT__GLOBAL__PER_SECOND: '1000000000',
  };
  const tracing = {
    OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_SERVICE_NAME: '',
  };
  // What every system's services run with; each target adds its own (tracing, faults, ...).
  const systemRpc = { ...production, ...dbTls, PM_DATABASE__STATEMENT_TIMEOUT_MS: '5000' };
  const systemApi = { ...production, ...highLimits };

  // (j) audit appends across replicas, first: the other systems' idle work would land in
  // its PostgreSQL CPU. The env of the read-path system (a), tracing to the sink included.
  const audit = await runAuditScenario({
    serverUrl: postgres.url,
    jwksFile: keys.jwksFile,
    headers: auth,
    rpcExtra: { ...systemRpc, ...tracing },
    apiExtra: { ...systemApi, ...tracing },
    replicas: args.quick ? [1, 2] : [1, 2, 4],
    rounds,
    durationS,
    connections,
    log,
  });
  log('audit appends done');
  if (args.only === 'audit') {
    printTable([TABLE_HEADER, ...auditTableRows(audit)]);
    writeResults({ machine: machine(), settings: { rounds, durationS, connections }, audit, elapsedS: elapsed(t0) });
    sink.server.close();
    await postgres.stop();
    return;
  }

  const startSystem = async (name: string, rpcExtra: Record<string, string>, apiExtra: Record<string, string> = {}) => {
    const rpc = await startService('patient-rpc', {
      nodeArgs: chartHeapFlags('patient-rpc'),
      env: rpcEnv(keys.jwksFile, { ...systemRpc, ...rpcExtra }),
    });
    const api = await startService('patient-api', {
      nodeArgs: chartHeapFlags('patient-api'),
      env: apiEnv(`static:///127.0.0.1:${rpc.ports.grpc}`, keys.jwksFile, { ...systemApi, ...apiExtra }),
    });
    started.push(rpc, api);
    log(`${name} up`);
    return { rpc, api, url: `http://127.0.0.1:${api.ports.http}` };
  };

  // Seed once through a development-mode rpc (seeding is refused in production).
  const seedRpc = await startService('patient-rpc', {
    env: rpcEnv(keys.jwksFile, { PM_DATABASE__URL: postgres.url, PM_SEED__PATIENTS: '1000' }),
  });
  await seedRpc.stop();

  const sutPg = await startSystem(
    'system on PostgreSQL (tracing to sink)',
    { PM_DATABASE__URL: postgres.url, ...tracing },
    tracing,
  );
  const sutPgNoTrace = await startSystem('system on PostgreSQL (tracing off)', { PM_DATABASE__URL: postgres.url });
  // The same without in-app mTLS between the services (plaintext is refused in production).
  const plaintext = { PM_TLS__MODE: 'plaintext', PM_SERVICE__ENVIRONMENT: 'development' };
  const sutPgPlain = await startSystem(
    'system on PostgreSQL (tracing off, no mTLS)',
    { PM_DATABASE__URL: postgres.url, ...plaintext },
    plaintext,
  );
  const sutLite = await startSystem(
    'system on PGlite',
    { PM_SEED__PATIENTS: '0', PM_SERVICE__ENVIRONMENT: 'development', PM_DATABASE__PGLITE_DIR: 'memory://' },
    tracing,
  );
  const page = (await (await fetch(`${sutPg.url}/api/v1/patients?limit=100`, { headers: auth })).json()) as {
    items: Array<{ id: string }>;
  };
  const ids = page.items.map((p) => p.id);
  const liteIds: string[] = [];
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${sutLite.url}/api/v1/patients`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        trialId: 'TRIAL-B',
        siteId: 'SITE-1',
        subjectCode: `B-${i}`,
        givenName: 'Bench',
        familyName: `P ${i}`,
        birthDate: '1970-01-01',
        sex: 'unknown',
      }),
    });
    liteIds.push(((await res.json()) as { id: string }).id);
  }

  const naiveRpc = await startProcess('naive-rpc', [join(ROOT, 'bench/baseline/naive-pair/rpc.ts'), '0', '1000']);
  const naiveApi = await startProcess('naive-api', [
    join(ROOT, 'bench/baseline/naive-pair/api.ts'),
    '0',
    `127.0.0.1:${naiveRpc.ports.grpc}`,
  ]);
  const bare = await startProcess('bare-http', [join(ROOT, 'bench/baseline/bare-http/server.ts'), '0']);
  started.push(naiveRpc, naiveApi, bare);
  const naiveUrl = `http://127.0.0.1:${naiveApi.ports.http}`;
  const naiveIds = (
    (await (await fetch(`${naiveUrl}/api/v1/patients`)).json()) as { patients: Array<{ id: string }> }
  ).patients.map((p) => p.id);
  const readPaths = (patientIds: string[]) => patientIds.map((id) => `/api/v1/patients/${id}`);
  const [pgPaths, litePaths, naivePaths] = [readPaths(ids), readPaths(liteIds), readPaths(naiveIds)];

  // (a) read path at fixed concurrency, alternating targets each round.
  const targets: Record<string, () => Promise<LoadResult>> = {
    'bare-http': () => runLoad({ url: `http://127.0.0.1:${bare.ports.http}/`, connections, durationS }),
    'naive-pair': () => runLoad({ url: naiveUrl, connections, durationS, paths: naivePaths }),
    'system (PostgreSQL, tracing)': () =>
      runLoad({
        url: sutPg.url,
        connections,
        durationS,
        headers: auth,
        paths: pgPaths,
      }),
    'system (PostgreSQL, no tracing)': () =>
      runLoad({
        url: sutPgNoTrace.url,
        connections,
        durationS,
        headers: auth,
        paths: pgPaths,
      }),
    'system (PostgreSQL, no tracing, no mTLS)': () =>
      runLoad({
        url: sutPgPlain.url,
        connections,
        durationS,
        headers: auth,
        paths: pgPaths,
      }),
    'system (PGlite, tracing)': () =>
      runLoad({
        url: sutLite.url,
        connections,
        durationS,
        headers: auth,
        paths: litePaths,
      }),
  };
  // CPU per request by process, to show where each target's time goes (PostgreSQL: every
  // process of the server, shared by the systems on it).
  const pids =
    (...services: ServiceProcess[]) =>
    () =>
      services.map((p) => p.child.pid);
  const processesOf: Record<string, Record<string, () => Array<number | undefined>>> = {
    'bare-http': { server: pids(bare) },
    'naive-pair': { api: pids(naiveApi), rpc: pids(naiveRpc) },
    'system (PostgreSQL, tracing)': { api: pids(sutPg.api), rpc: pids(sutPg.rpc), postgres: postgresPids },
    'system (PostgreSQL, no tracing)': {
      api: pids(sutPgNoTrace.api),
      rpc: pids(sutPgNoTrace.rpc),
      postgres: postgresPids,
    },
    'system (PostgreSQL, no tracing, no mTLS)': {
      api: pids(sutPgPlain.api),
      rpc: pids(sutPgPlain.rpc),
      postgres: postgresPids,
    },
    'system (PGlite, tracing)': { api: pids(sutLite.api), rpc: pids(sutLite.rpc) },
  };
  const readRuns: Record<string, LoadResult[]> = Object.fromEntries(Object.keys(targets).map((k) => [k, []]));
  const cpuRuns: Record<string, Array<Record<string, number>>> = Object.fromEntries(
    Object.keys(targets).map((k) => [k, []]),
  );
  for (let round = 0; round < rounds; round++)
    for (const [name, run] of Object.entries(targets)) {
      const { result, cpu } = await measureCpu(processesOf[name]!, run);
      readRuns[name]!.push(result);
      cpuRuns[name]!.push(
        Object.fromEntries(Object.entries(cpu).map(([k, seconds]) => [k, (seconds / result.requests) * 1e6])),
      );
      log(`read path round ${round + 1}/${rounds}: ${name}`);
    }
  const cpuPerRequestUs = Object.fromEntries(
    Object.entries(cpuRuns).map(([name, runs]) => [
      name,
      Object.fromEntries(Object.entries(medians(runs)).map(([k, us]) => [k, Math.round(us)])),
    ]),
  );
  const read = Object.fromEntries(
    Object.entries(readRuns).map(([name, runs]) => [
      name,
      {
        rps: median(runs.map((r) => r.rps)),
        p50: median(runs.map((r) => r.p50)),
        p99: median(runs.map((r) => r.p99)),
        non2xx: runs.reduce((a, r) => a + r.non2xx + r.errors, 0),
      },
    ]),
  );
  const capacity = read['system (PostgreSQL, tracing)']!.rps;

  // (b) latency at 50 % of the system's max throughput, paced (evenly spaced arrivals);
  // the baselines at the same rate show what the machine itself adds to the tail.
  const halfRate = Math.round(capacity / 2);
  const pacedTargets: Record<string, () => Promise<PacedResult>> = {
    'bare-http': () =>
      runPacedLoad({ url: `http://127.0.0.1:${bare.ports.http}`, rate: halfRate, durationS, paths: ['/'] }),
    'naive-pair': () =>
      runPacedLoad({
        url: naiveUrl,
        rate: halfRate,
        durationS,
        paths: naivePaths,
      }),
    'system (PostgreSQL, tracing)': () =>
      runPacedLoad({ url: sutPg.url, rate: halfRate, durationS, headers: auth, paths: pgPaths }),
  };
  const pacedRuns: Record<string, PacedResult[]> = Object.fromEntries(Object.keys(pacedTargets).map((k) => [k, []]));
  for (let round = 0; round < rounds; round++)
    for (const [name, run] of Object.entries(pacedTargets)) pacedRuns[name]!.push(await run());
  const half = Object.fromEntries(Object.entries(pacedRuns).map(([name, runs]) => [name, medians(runs)]));
  const halfSystem = half['system (PostgreSQL, tracing)']!;
  log('half load done');

  // (c) questionnaire submit.
  const submit = await runLoad({
    url: sutPg.url,
    connections,
    durationS,
    method: 'POST',
    headers: auth,
    paths: ids.map((id) => `/api/v1/patients/${id}/questionnaires`),
    body: () =>
      JSON.stringify({ submissionId: randomUUID(), instrument: 'phq9', answers: [1, 2, 0, 1, 3, 0, 1, 2, 0] }),
  });
  log('submit done');

  // (d) breaker open: fail-fast latency versus the healthy path.
  const faulty = await startSystem(
    'system with a failing rpc',
    {
      PM_DATABASE__URL: postgres.url,
      PM_SERVICE__ENVIRONMENT: 'development',
      PM_FAULTS__ENABLED: 'true',
      PM_FAULTS__ERROR_RATE: '1',
    },
    { PM_RESILIENCE__BREAKER__MINIMUM_REQUESTS: '20', PM_RESILIENCE__BREAKER__HALF_OPEN_AFTER_MS: '600000' },
  );
  for (let i = 0; i < 200; i++) {
    const res = await fetch(`${faulty.url}/api/v1/patients/${ids[0]}`, { headers: auth });
    const body = (await res.json()) as { reason?: string };
    if (body.reason === 'breaker_open') break;
  }
  // Fail-fast against the healthy path at the same paced rate (at saturation both would
  // only measure queueing: latency = connections / throughput).
  const openRuns: PacedResult[] = [];
  for (let round = 0; round < rounds; round++)
    openRuns.push(await runPacedLoad({ url: faulty.url, rate: halfRate, durationS, headers: auth, paths: pgPaths }));
  const open = medians(openRuns);
  log('breaker done');

  // (e) overload at 2x capacity: goodput and latency of accepted requests.
  const overload = await runLoad({
    url: sutPg.url,
    connections: connections * 8,
    durationS: durationS * 1.5,
    overallRate: Math.round(capacity * 2),
    headers: auth,
    paths: pgPaths,
  });
  log('overload done');

  // (f) rolling update of both Deployments under keep-alive load (chart values, × 0.4 time).
  const rolloutOutcome = await runRolloutScenario({
    databaseUrl: await createDatabase(postgres.url, `bench_rollout_${Date.now()}`),
    connections: 16,
    timeScale: 0.4,
    propagationMs: 1500,
  });
  const rollout = {
    sent: rolloutOutcome.sent,
    failed: rolloutOutcome.failed,
    steadyP99: rolloutOutcome.steady.p99,
    rolloutP99: rolloutOutcome.rollout.p99,
    drainMs: rolloutOutcome.terminations.map((t) => Math.round(t.drainMs)),
  };
  log('rollout done');

  // (g) ePRO import end to end: lines/s and peak RSS per service, two sizes (RSS must not grow).
  const imports: ImportResult[] = [];
  for (const lines of args.quick ? [20_000] : [100_000, 1_000_000]) {
    imports.push(await runImportScenario({ serverUrl: postgres.url, lines }));
    log(`import ${lines} lines done`);
  }
  const largest = imports.at(-1)!;

  // (i) what a new connection costs: an mTLS handshake with patient-api's certificate to
  // patient-rpc (what every api pod pays once per rpc pod after a rolling restart, and per
  // grpc.maxConnectionAgeSeconds) against a TCP connect to the plaintext rpc.
  const handshakes = {
    mtls: await measureConnects(args.quick ? 50 : 300, sutPgNoTrace.rpc.ports.grpc!, {
      ca: readFileSync(testMesh.api.caFile),
      cert: readFileSync(testMesh.api.certFile),
      key: readFileSync(testMesh.api.keyFile),
    }),
    tcp: await measureConnects(args.quick ? 50 : 300, sutPgPlain.rpc.ports.grpc!),
  };
  log('handshakes done');

  // (h) cold start to ready, per service (migrations already applied).
  const cold: Record<string, number> = {};
  for (const [name, env] of [
    ['patient-rpc (PostgreSQL)', rpcEnv(keys.jwksFile, { ...production, ...dbTls, PM_DATABASE__URL: postgres.url })],
    ['patient-rpc (PGlite, new store)', rpcEnv(keys.jwksFile, { PM_DATABASE__PGLITE_DIR: 'memory://' })],
    ['patient-api', apiEnv(`static:///127.0.0.1:${sutPg.rpc.ports.grpc}`, keys.jwksFile, production)],
  ] as const) {
    const samples: number[] = [];
    for (let i = 0; i < (args.quick ? 1 : 3); i++) {
      const s0 = performance.now();
      const p = await startService(name.startsWith('patient-api') ? 'patient-api' : 'patient-rpc', { env });
      samples.push(performance.now() - s0);
      await p.stop();
    }
    cold[name] = median(samples);
  }

  const naive = read['naive-pair']!.rps;
  const results = {
    machine: machine(),
    settings: { rounds, durationS, connections },
    read,
    cpuPerRequestUs,
    half: { rate: halfRate, byTarget: half },
    submit: { rps: submit.rps, p50: submit.p50, p99: submit.p99, non2xx: submit.non2xx },
    breaker: {
      rate: halfRate,
      healthyP50: halfSystem.p50,
      healthyP99: halfSystem.p99,
      openP50: open.p50,
      openP99: open.p99,
      openNon2xx: open.non2xx,
      openRequests: open.requests,
    },
    overload: {
      offered: Math.round(capacity * 2),
      goodput: overload.goodput,
      p99Accepted: overload.p99ok,
      non2xx: overload.non2xx,
      errors: overload.errors + overload.timeouts,
    },
    rollout,
    imports,
    handshakes,
    coldStartMs: cold,
    audit,
    targets: {
      'read: system(PG) / naive-pair ≥ 1.0': capacity / naive,
      'read: system(PG) / bare-http': capacity / read['bare-http']!.rps,
      'p99 / p50 at 50 % load ≤ 2': halfSystem.p99 / halfSystem.p50,
      'p99 / p50 at the same rate, naive-pair': half['naive-pair']!.p99 / half['naive-pair']!.p50,
      'p99 / p50 at the same rate, bare-http (machine floor)': half['bare-http']!.p99 / half['bare-http']!.p50,
      'breaker-open p99 / healthy p99 ≤ 0.2': open.p99 / halfSystem.p99,
      'overload goodput / capacity ≥ 0.9': overload.goodput / capacity,
      'tracing on / off throughput': capacity / read['system (PostgreSQL, no tracing)']!.rps,
      'mTLS on / off throughput (no tracing)':
        read['system (PostgreSQL, no tracing)']!.rps / read['system (PostgreSQL, no tracing, no mTLS)']!.rps,
      'new connection ms, mTLS handshake / TCP connect (median)': handshakes.mtls.p50 / handshakes.tcp.p50,
      // PGlite's first start creates its store (initdb in WASM): reported, not a target.
      'cold start ≤ 1500 ms (worst service, PostgreSQL)': Math.max(
        ...Object.entries(cold)
          .filter(([name]) => !name.includes('PGlite'))
          .map(([, ms]) => ms),
      ),
      'rolling update: failed requests = 0': rollout.failed,
      [`import lines/s (${largest.lines} lines) ≥ 20000`]: largest.linesPerSecond,
      'import peak RSS MB, worst service and size ≤ 150': Math.max(
        ...imports.flatMap((r) => [r.rpcPeakRssMb, r.apiPeakRssMb]),
      ),
      [`audit: read throughput, ${audit.replicas.at(-1)} rpc replicas / 1`]: audit.system.at(-1)!.readRatio,
      'audit: append retries = 0 (every replica count)': audit.system.reduce((a, s) => a + s.retries, 0),
    },
    elapsedS: elapsed(t0),
  };
  print(results);
  writeResults(results);
  sink.server.close();
  await Promise.all(started.map((p) => p.stop()));
  await postgres.stop();
}

const elapsed = (t0: number) => Math.round((performance.now() - t0) / 1000);

const machine = () => ({
  cpus: cpus().length,
  model: cpus()[0]?.model,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
});

function writeResults(results: object): void {
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  const file = join(ROOT, 'bench/results', `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2));
  process.stdout.write(`\nwritten: ${file}\n`);
}

interface ConnectTimes {
  p50: number;
  p99: number;
}

/** Times `count` sequential new connections to 127.0.0.1:port (TLS with `tls`, else TCP), ms. */
async function measureConnects(count: number, port: number, tls?: ConnectionOptions): Promise<ConnectTimes> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await new Promise<void>((resolve, reject) => {
      const socket: Socket = tls
        ? tlsConnect(
            { host: '127.0.0.1', port, ...tls, ALPNProtocols: ['h2'], checkServerIdentity: () => undefined },
            done,
          )
        : netConnect(port, '127.0.0.1', done);
      function done() {
        samples.push(performance.now() - t);
        socket.destroy();
        resolve();
      }
      socket.once('error', reject);
    });
  }
  samples.sort((a, b) => a - b);
  return { p50: samples[Math.floor(count / 2)]!, p99: samples[Math.floor(count * 0.99)]! };
}

const TABLE_HEADER = ['scenario', 'target', 'req/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'failed'];

function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows) process.stdout.write(`${row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')}\n`);
}

function print(r: any): void {
  const rows: string[][] = [TABLE_HEADER];
  for (const [name, v] of Object.entries(r.read) as Array<[string, any]>)
    rows.push(['(a) read path', name, v.rps.toFixed(0), v.p50.toFixed(1), v.p99.toFixed(1), '', String(v.non2xx)]);
  for (const [name, v] of Object.entries(r.half.byTarget) as Array<[string, PacedResult]>)
    rows.push([
      '(b) 50 % load, paced',
      `${name} @ ${r.half.rate}/s`,
      v.rate.toFixed(0),
      v.p50.toFixed(1),
      v.p99.toFixed(1),
      v.p999.toFixed(1),
      `${v.non2xx + v.errors + v.timeouts}${v.late ? ` (${v.late} sent late)` : ''}`,
    ]);
  rows.push([
    '(c) submit',
    'system (PG)',
    r.submit.rps.toFixed(0),
    r.submit.p50.toFixed(1),
    r.submit.p99.toFixed(1),
    '',
    String(r.submit.non2xx),
  ]);
  rows.push([
    '(d) breaker, paced',
    `healthy path @ ${r.breaker.rate}/s`,
    '',
    r.breaker.healthyP50.toFixed(1),
    r.breaker.healthyP99.toFixed(1),
    '',
    '',
  ]);
  rows.push([
    '(d) breaker, paced',
    `open: fail fast (503) @ ${r.breaker.rate}/s`,
    '',
    r.breaker.openP50.toFixed(1),
    r.breaker.openP99.toFixed(1),
    '',
    `${r.breaker.openNon2xx} (expected)`,
  ]);
  rows.push([
    '(e) overload 2x',
    `offered ${r.overload.offered}/s`,
    `${r.overload.goodput.toFixed(0)} ok/s`,
    '',
    `${r.overload.p99Accepted.toFixed(1)} (2xx)`,
    '',
    `${r.overload.non2xx} 503/429, ${r.overload.errors} errors`,
  ]);
  rows.push([
    '(f) rolling update',
    `${r.rollout.sent} requests`,
    '',
    '',
    `${r.rollout.steadyP99.toFixed(1)} steady, ${r.rollout.rolloutP99.toFixed(1)} rollout`,
    '',
    `${r.rollout.failed}; drains ${r.rollout.drainMs.join('/')} ms`,
  ]);
  for (const i of r.imports as ImportResult[])
    rows.push([
      '(g) ePRO import',
      `${i.lines} lines`,
      `${i.linesPerSecond} lines/s`,
      '',
      '',
      '',
      `RSS rpc ${i.rpcPeakRssMb} MB, api ${i.apiPeakRssMb} MB; exact ${i.countsExact}`,
    ]);
  for (const [name, h] of Object.entries(r.handshakes) as Array<[string, ConnectTimes]>)
    rows.push([
      '(i) new connection',
      name === 'mtls' ? 'mTLS handshake' : 'TCP connect',
      '',
      h.p50.toFixed(2),
      h.p99.toFixed(2),
      '',
      '',
    ]);
  for (const [name, ms] of Object.entries(r.coldStartMs) as Array<[string, number]>)
    rows.push(['(h) cold start', name, '', '', '', '', `${ms.toFixed(0)} ms`]);
  rows.push(...auditTableRows(r.audit));
  printTable(rows);
  process.stdout.write('\nCPU per request, µs (median of rounds):\n');
  for (const [name, parts] of Object.entries(r.cpuPerRequestUs) as Array<[string, Record<string, number>]>)
    process.stdout.write(
      `  ${name.padEnd(34)} ${Object.entries(parts)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}\n`,
    );
  process.stdout.write('\nratios:\n');
  for (const [name, value] of Object.entries(r.targets) as Array<[string, number]>)
    process.stdout.write(`  ${name.padEnd(42)} ${value.toFixed(2)}\n`);
  process.stdout.write(
    `machine: ${r.machine.cpus} × ${r.machine.model}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}; ${r.elapsedS} s\n`,
  );
}

main().catch(async (error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  await Promise.all(started.map((p) => p.stop('SIGKILL')));
  process.exit(1);
});
