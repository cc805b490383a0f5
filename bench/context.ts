// What every scenario of `npm run bench` shares: the arguments, the test keys and token,
// one PostgreSQL server (TLS, verify-full) with its own processes for CPU, an OTLP sink, the
// env every system runs with, and the systems and baselines, each started on first use
// and stopped at the end. Scenarios get this and return their result object.
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import pg from 'pg';
import { BENCH_POSTGRES_SETTINGS, type PostgresServer } from '../tests/support/postgres.ts';
import {
  apiEnv,
  chartHeapFlags,
  ROOT,
  rpcEnv,
  startProcess,
  startService,
  type ServiceProcess,
} from '../tests/support/services.ts';
import { createTestKeys, type TestKeys } from '../tests/support/tokens.ts';
import { postgresServer, type CpuSource } from './lib/cpu.ts';
import { setupFetch } from './lib/http.ts';
import { startTlsPostgres } from './lib/tlsPostgres.ts';

export interface BenchArgs {
  quick: boolean;
  rounds: number;
  durationS: number;
  /** Connections of the closed-loop scenarios at one concurrency (read path, submit, audit). */
  connections: number;
  /** Connections of the capacity sweep. */
  sweep: number[];
  /** Scenarios asked for (--only), or undefined for all. */
  only: string[] | undefined;
  /** Where the results file goes. */
  out: string;
  /** Regenerate docs/performance.md's tables and docs/img/bench/*.svg from this run. */
  docs: boolean;
  /** patient-api's load shedder in the systems (its default: on; --no-shedding to compare). */
  shedding: boolean;
}

export interface System {
  name: string;
  rpc: ServiceProcess;
  api: ServiceProcess;
  url: string;
}

export interface Baselines {
  naiveApi: ServiceProcess;
  naiveRpc: ServiceProcess;
  bare: ServiceProcess;
  naiveUrl: string;
  bareUrl: string;
  /** The first 100 patients' read paths. */
  naivePaths: string[];
}

/** A second naive pair holding enough patients for cold reads (and the paths of all of them). */
export interface NaiveCold {
  api: ServiceProcess;
  rpc: ServiceProcess;
  url: string;
  /** Read paths of every patient it holds, in a fixed order; slices of it are read once each. */
  paths: string[];
}

/** The read paths of the data set on the benchmark's PostgreSQL database. */
export interface PgData {
  /** 100 patients read over and over (they stay in patient-rpc's cache): the warm path. */
  warmIds: string[];
  /** Patients read at most once in the whole run: the cold path (cache misses). */
  coldIds: string[];
}

/** The systems the scenarios compare; each is started on first use. */
export const SYSTEMS = {
  pg: 'system (PostgreSQL, tracing)',
  'pg-notrace': 'system (PostgreSQL, no tracing)',
  'pg-plain': 'system (PostgreSQL, no tracing, no mTLS)',
  lite: 'system (PGlite, tracing)',
  faulty: 'system with a failing rpc',
} as const;
export type SystemKey = keyof typeof SYSTEMS;

export interface BenchContext {
  args: BenchArgs;
  log(message: string): void;
  keys: TestKeys;
  /** A clinician's bearer token header. */
  auth: Record<string, string>;
  postgres: PostgresServer;
  /** The PostgreSQL server's own processes (postmaster and children), for CPU. */
  postgresCpu: CpuSource;
  /** patient-rpc's database.tls env for the benchmark's server. */
  dbTls: Record<string, string>;
  /** The env layers the systems are built from. */
  env: {
    production: Record<string, string>;
    highLimits: Record<string, string>;
    tracing: Record<string, string>;
    /** What every system's rpc and api run with; each target adds its own. */
    systemRpc: Record<string, string>;
    systemApi: Record<string, string>;
  };
  system(key: SystemKey): Promise<System>;
  /** PGlite system's read paths (100 patients created through it). */
  litePaths(): Promise<string[]>;
  pgData(): Promise<PgData>;
  baselines(): Promise<Baselines>;
  naiveCold(): Promise<NaiveCold>;
  /** Starts a process the context stops at the end. */
  track<T extends ServiceProcess>(p: T): T;
  /** Results of the scenarios run so far (the dependencies of later ones). */
  results: Record<string, unknown>;
  /** Stops everything the context started (SIGKILL after a failure). */
  close(signal?: NodeJS.Signals): Promise<void>;
}

/** The longest any single set-up request may take. */
export const REQUEST_TIMEOUT_MS = 10_000;

/** Patients a cold-read round may read through the system (ids are never read twice in a run). */
export const coldPerRound = (quick: boolean) => (quick ? 4_000 : 15_000);
/** The same for the naive pair, which reads several times faster. */
export const naiveColdPerRound = (quick: boolean) => (quick ? 10_000 : 40_000);
/** Patients of the cold naive pair its warm-up reads (the first ones; the rounds read the rest). */
export const NAIVE_WARMUP_IDS = 100;

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

const once = <T>(make: () => Promise<T>): (() => Promise<T>) => {
  let p: Promise<T> | undefined;
  return () => (p ??= make());
};

export async function createContext(args: BenchArgs, log: (message: string) => void): Promise<BenchContext> {
  const keys = await createTestKeys();
  // Valid for the longest run (the default test token lasts 10 minutes).
  const token = await keys.token({ sub: 'bench', roles: ['clinician'], expiresIn: 4 * 3600 });
  const auth = { authorization: `Bearer ${token}` };
  const started: ServiceProcess[] = [];
  const track = <T extends ServiceProcess>(p: T): T => (started.push(p), p);
  // PostgreSQL over TLS (verify-full), as production mode requires.
  const { postgres, rpcEnv: dbTls } = await startTlsPostgres(BENCH_POSTGRES_SETTINGS);
  const postgresCpu = await postgresServer(postgres.url);
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
  const systemRpc = { ...production, ...dbTls, PM_DATABASE__STATEMENT_TIMEOUT_MS: '5000' };
  // The load shedder on, as patient-api's default has it (the test helpers turn it off).
  const systemApi = { ...production, ...highLimits, PM_SHEDDING__ENABLED: String(args.shedding) };

  const startSystem = async (name: string, rpcExtra: Record<string, string>, apiExtra: Record<string, string>) => {
    const rpc = track(
      await startService('patient-rpc', {
        nodeArgs: chartHeapFlags('patient-rpc'),
        env: rpcEnv(keys.jwksFile, { ...systemRpc, ...rpcExtra }),
      }),
    );
    const api = track(
      await startService('patient-api', {
        nodeArgs: chartHeapFlags('patient-api'),
        env: apiEnv(`static:///127.0.0.1:${rpc.ports.grpc}`, keys.jwksFile, { ...systemApi, ...apiExtra }),
      }),
    );
    log(`${name} up`);
    return { name, rpc, api, url: `http://127.0.0.1:${api.ports.http}` };
  };

  const plaintext = { PM_TLS__MODE: 'plaintext', PM_SERVICE__ENVIRONMENT: 'development' };
  const system: Record<SystemKey, () => Promise<System>> = {
    pg: once(() => startSystem(SYSTEMS.pg, { PM_DATABASE__URL: postgres.url, ...tracing }, tracing)),
    'pg-notrace': once(() => startSystem(SYSTEMS['pg-notrace'], { PM_DATABASE__URL: postgres.url }, {})),
    // The same without in-app mTLS between the services (plaintext is refused in production).
    'pg-plain': once(() =>
      startSystem(SYSTEMS['pg-plain'], { PM_DATABASE__URL: postgres.url, ...plaintext }, plaintext),
    ),
    lite: once(() =>
      startSystem(
        SYSTEMS.lite,
        { PM_SEED__PATIENTS: '0', PM_SERVICE__ENVIRONMENT: 'development', PM_DATABASE__PGLITE_DIR: 'memory://' },
        tracing,
      ),
    ),
    faulty: once(() =>
      startSystem(
        SYSTEMS.faulty,
        {
          PM_DATABASE__URL: postgres.url,
          PM_SERVICE__ENVIRONMENT: 'development',
          PM_FAULTS__ENABLED: 'true',
          PM_FAULTS__ERROR_RATE: '1',
        },
        { PM_RESILIENCE__BREAKER__MINIMUM_REQUESTS: '20', PM_RESILIENCE__BREAKER__HALF_OPEN_AFTER_MS: '600000' },
      ),
    ),
  };

  // The data set on the server's `postgres` database, in SQL once the first system has
  // applied the migrations (every rpc applies them at start, under a lock): 1,000 patients of
  // which 100 are read over and over (warm), and the cold ones, each read at most once.
  // (Seeding through patient-rpc creates them one by one: minutes for the cold set.)
  const pgData = once(async (): Promise<PgData> => {
    await system.pg();
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    try {
      const insert = (trial: string, prefix: string, count: number) =>
        client.query(
          `INSERT INTO patients (id, trial_id, site_id, subject_code, given_name, family_name, birth_date, sex)
           SELECT gen_random_uuid(), $1, 'SITE-001', $2 || n, 'Bench', 'Patient ' || n, DATE '1970-01-01' + n % 20000, 'unknown'
           FROM generate_series(1, $3::int) AS n`,
          [trial, prefix, count],
        );
      await insert('TRIAL-WARM', 'W-', 1000);
      await insert('TRIAL-COLD', 'C-', args.rounds * coldPerRound(args.quick));
      const ids = async (trial: string, limit: number) =>
        (
          await client.query<{ id: string }>(
            'SELECT id::text FROM patients WHERE trial_id = $1 ORDER BY subject_code LIMIT $2',
            [trial, limit],
          )
        ).rows.map((r) => r.id);
      const data = { warmIds: await ids('TRIAL-WARM', 100), coldIds: await ids('TRIAL-COLD', 10_000_000) };
      log(`data: ${data.warmIds.length} warm and ${data.coldIds.length} cold patients`);
      return data;
    } finally {
      await client.end();
    }
  });

  const litePaths = once(async () => {
    const lite = await system.lite();
    const paths: string[] = [];
    for (let i = 0; i < 100; i++) {
      const res = await setupFetch(`${lite.url}/api/v1/patients`, {
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
      if (!res.ok) throw new Error(`creating a PGlite patient answered ${res.status}: ${await res.text()}`);
      paths.push(`/api/v1/patients/${((await res.json()) as { id: string }).id}`);
    }
    return paths;
  });

  const naivePair = async (name: string, count: number) => {
    const rpc = track(
      await startProcess(`${name}-rpc`, [join(ROOT, 'bench/baseline/naive-pair/rpc.ts'), '0', String(count)]),
    );
    const api = track(
      await startProcess(`${name}-api`, [
        join(ROOT, 'bench/baseline/naive-pair/api.ts'),
        '0',
        `127.0.0.1:${rpc.ports.grpc}`,
      ]),
    );
    const url = `http://127.0.0.1:${api.ports.http}`;
    // Paged, so that a large set fits gRPC's message limit.
    const paths: string[] = [];
    for (let page = 0; paths.length < count && page < 10_000; page++) {
      const page = `${url}/api/v1/patients?limit=1000&pageToken=${paths.length}`;
      const body = (await (await fetch(page, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })).json()) as {
        patients: Array<{ id: string }>;
      };
      if (body.patients.length === 0) break;
      paths.push(...body.patients.map((p) => `/api/v1/patients/${p.id}`));
    }
    return { rpc, api, url, paths };
  };

  const baselines = once(async (): Promise<Baselines> => {
    const naive = await naivePair('naive', 1000);
    const bare = track(await startProcess('bare-http', [join(ROOT, 'bench/baseline/bare-http/server.ts'), '0']));
    log('baselines up');
    return {
      naiveApi: naive.api,
      naiveRpc: naive.rpc,
      bare,
      naiveUrl: naive.url,
      bareUrl: `http://127.0.0.1:${bare.ports.http}`,
      naivePaths: naive.paths.slice(0, 100),
    };
  });

  const naiveCold = once(async (): Promise<NaiveCold> => {
    const pair = await naivePair('naive-cold', NAIVE_WARMUP_IDS + args.rounds * naiveColdPerRound(args.quick));
    log(`naive pair for cold reads up (${pair.paths.length} patients)`);
    return pair;
  });

  return {
    args,
    log,
    keys,
    auth,
    postgres,
    postgresCpu,
    dbTls,
    env: { production, highLimits, tracing, systemRpc, systemApi },
    system: (key) => system[key](),
    litePaths,
    pgData,
    baselines,
    naiveCold,
    track,
    results: {},
    async close(signal: NodeJS.Signals = 'SIGTERM') {
      sink.server.close();
      await Promise.all(started.map((p) => p.stop(signal)));
      await postgres.stop();
    },
  };
}

/** One scenario of the benchmark: bench/scenarios/<name>.ts. */
export interface Scenario<R = any> {
  /** What --only takes. */
  name: string;
  /** The table's first column, e.g. "(a) read path". */
  label: string;
  /** Scenarios whose results this one reads from ctx.results (run first when it is asked for alone). */
  needs?: string[];
  run(ctx: BenchContext): Promise<R>;
  /** Rows of the printed table (without the scenario column): see TABLE_HEADER in report.ts. */
  rows(result: R): string[][];
}

/**
 * Runs every target once per round, the order rotated each round so that none always runs
 * first (after an idle gap) or last; returns each target's runs in round order.
 */
export async function alternate<T>(
  rounds: number,
  targets: string[],
  run: (target: string, round: number) => Promise<T>,
  log?: (message: string) => void,
): Promise<Record<string, T[]>> {
  const runs: Record<string, T[]> = Object.fromEntries(targets.map((t) => [t, []]));
  for (let round = 0; round < rounds; round++)
    for (let i = 0; i < targets.length; i++) {
      const target = targets[(i + round) % targets.length]!;
      runs[target]!.push(await run(target, round));
      log?.(`round ${round + 1}/${rounds}: ${target}`);
    }
  return runs;
}
