// Soak: both services in production mode on PostgreSQL over TLS, at half of their measured
// capacity for a long time (default 30 minutes), reporting per window (default 5 minutes)
// each service's RSS, V8 heap in use, open file descriptors and event-loop delay p99, and
// the window's latency percentiles (wrk, paced: latency at a fixed arrival rate). What it
// looks for: no growth beyond noise from the first window to the last.
//
// Usage: npm run soak [-- --minutes 30 --window-minutes 5]
// Writes bench/results/soak-<time>.json. Loopback only; every load is bounded in time.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_POSTGRES_SETTINGS } from '../tests/support/postgres.ts';
import { apiEnv, chartHeapFlags, ROOT, rpcEnv, startService, type ServiceProcess } from '../tests/support/services.ts';
import { createTestKeys } from '../tests/support/tokens.ts';
import { runLoad } from './lib/load.ts';
import { runPacedLoad, type PacedResult } from './lib/paced.ts';
import { startTlsPostgres } from './lib/tlsPostgres.ts';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    'window-minutes': { type: 'string', default: '5' },
  },
});
const minutes = Number(args.minutes);
const windowMinutes = Math.min(minutes, Number(args['window-minutes']));
const log = (line: string) => process.stderr.write(`soak: ${line}\n`);

/** One service's gauges at the end of a window, from its own /metrics. */
interface Gauges {
  rssMb: number;
  heapUsedMb: number;
  openFds: number;
  eventLoopP99Ms: number;
}

async function gauges(service: ServiceProcess): Promise<Gauges> {
  const text = await (await fetch(`http://127.0.0.1:${service.ports.admin}/metrics`)).text();
  const value = (name: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
  };
  const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
  return {
    rssMb: mb(value('process_resident_memory_bytes')),
    heapUsedMb: mb(value('nodejs_heap_size_used_bytes')),
    openFds: value('process_open_fds'),
    eventLoopP99Ms: Math.round(value('nodejs_eventloop_lag_p99_seconds') * 1e4) / 10,
  };
}

interface Window {
  window: number;
  load: PacedResult;
  api: Gauges;
  rpc: Gauges;
}

async function main(): Promise<void> {
  const keys = await createTestKeys();
  // Valid for the whole run (the default test token lasts 10 minutes).
  const token = await keys.token({ sub: 'soak', roles: ['clinician'], expiresIn: (minutes + 15) * 60 });
  const headers = { authorization: `Bearer ${token}` };
  const { postgres, rpcEnv: dbTls } = await startTlsPostgres(BENCH_POSTGRES_SETTINGS);
  const started: ServiceProcess[] = [];
  const stopAll = async () => {
    for (const p of started.reverse()) await p.stop();
    await postgres.stop();
  };
  // Ctrl-C during a 30-minute run stops what it started, PostgreSQL included.
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      log(`${signal}: stopping`);
      void stopAll().finally(() => process.exit(130));
    });
  try {
    // Seed through a development-mode rpc (seeding is refused in production).
    const seed = await startService('patient-rpc', {
      env: rpcEnv(keys.jwksFile, { PM_DATABASE__URL: postgres.url, PM_SEED__PATIENTS: '1000' }),
    });
    await seed.stop();
    const rpc = await startService('patient-rpc', {
      nodeArgs: chartHeapFlags('patient-rpc'),
      env: rpcEnv(keys.jwksFile, { PM_SERVICE__ENVIRONMENT: 'production', PM_DATABASE__URL: postgres.url, ...dbTls }),
    });
    started.push(rpc);
    const api = await startService('patient-api', {
      nodeArgs: chartHeapFlags('patient-api'),
      env: apiEnv(`static:///127.0.0.1:${rpc.ports.grpc}`, keys.jwksFile, {
        PM_SERVICE__ENVIRONMENT: 'production',
        PM_RATE_LIMIT__SUBJECT__BURST: '1000000000',
        PM_RATE_LIMIT__SUBJECT__PER_SECOND: '1000000000',
        PM_RATE_LIMIT__GLOBAL__BURST: '1000000000',
        PM_RATE_LIMIT__GLOBAL__PER_SECOND: '1000000000',
      }),
    });
    started.push(api);
    const base = `http://127.0.0.1:${api.ports.http}`;
    const page = (await (await fetch(`${base}/api/v1/patients?limit=100`, { headers })).json()) as {
      items: Array<{ id: string }>;
    };
    const paths = page.items.map((p) => `/api/v1/patients/${p.id}`);

    // Capacity: the best throughput over a small concurrency sweep.
    let capacity = 0;
    for (const connections of [16, 64]) {
      const r = await runLoad({ url: `${base}${paths[0]}`, connections, durationS: 10, headers, paths });
      log(`capacity at ${connections} connections: ${Math.round(r.goodput)} ok/s`);
      capacity = Math.max(capacity, r.goodput);
    }
    const rate = Math.max(1, Math.round(capacity / 2));
    log(
      `soaking at ${rate} req/s (half of ${Math.round(capacity)}) for ${minutes} min, windows of ${windowMinutes} min`,
    );

    const windows: Window[] = [];
    const count = Math.max(1, Math.round(minutes / windowMinutes));
    for (let w = 1; w <= count; w++) {
      const load = await runPacedLoad({ url: base, rate, durationS: windowMinutes * 60, headers, paths });
      const window = { window: w, load, api: await gauges(api), rpc: await gauges(rpc) };
      windows.push(window);
      log(
        `window ${w}/${count}: ${Math.round(load.rate)} req/s, from scheduled send p50 ${load.scheduled.p50} p99 ${load.scheduled.p99} ms ` +
          `(service time p50 ${load.service.p50} p99 ${load.service.p99} ms), non-2xx ${load.non2xx}; ` +
          `api rss ${window.api.rssMb} heap ${window.api.heapUsedMb} MB fds ${window.api.openFds} eld p99 ${window.api.eventLoopP99Ms} ms; ` +
          `rpc rss ${window.rpc.rssMb} heap ${window.rpc.heapUsedMb} MB fds ${window.rpc.openFds} eld p99 ${window.rpc.eventLoopP99Ms} ms`,
      );
    }

    const first = windows[0]!;
    const last = windows.at(-1)!;
    const growth = (pick: (w: Window) => number) => Math.round((pick(last) / pick(first)) * 100) / 100;
    const summary = {
      'api rss last/first': growth((w) => w.api.rssMb),
      'api heap last/first': growth((w) => w.api.heapUsedMb),
      'api fds last/first': growth((w) => w.api.openFds),
      'rpc rss last/first': growth((w) => w.rpc.rssMb),
      'rpc heap last/first': growth((w) => w.rpc.heapUsedMb),
      'rpc fds last/first': growth((w) => w.rpc.openFds),
      'p99 (from scheduled send) last/first': growth((w) => w.load.scheduled.p99),
      'p99 (service time) last/first': growth((w) => w.load.service.p99),
      'non-2xx': windows.reduce((n, w) => n + w.load.non2xx + w.load.errors, 0),
    };
    console.log(JSON.stringify(summary, null, 2));
    const dir = join(ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `soak-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify({ minutes, windowMinutes, capacity, rate, windows, summary }, null, 2)}\n`);
    log(`wrote ${file}`);
  } finally {
    await stopAll();
  }
}

await main();
