// Starts the built services as real processes on loopback and reads their JSON logs.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { parse } from 'yaml';
import { createAuditKey } from './auditKey.ts';
import { sharedMesh } from './mesh.ts';

export const ROOT = join(import.meta.dirname, '..', '..');

/** Where the output of every process the tests start is kept (scripts/test.sh empties it). */
export const SERVICE_LOG_DIR = join(ROOT, '.data', 'service-logs');

/** The workload certificates services started with rpcEnv()/apiEnv() use: mTLS, as in a cluster. */
export const testMesh = await sharedMesh();

/** The key services started with rpcEnv() sign audit checkpoints with. */
export const testAuditKey = createAuditKey();

/**
 * The V8 heap flags a service's chart deploys it with (NODE_OPTIONS from `heap` in
 * charts/<name>/values.yaml), so benchmarks measure the memory behaviour of a pod.
 */
export function chartHeapFlags(name: 'patient-api' | 'patient-rpc'): string[] {
  const { heap } = parse(readFileSync(join(ROOT, 'charts', name, 'values.yaml'), 'utf8')) as {
    heap: { maxOldSpaceMb: number; maxSemiSpaceMb: number };
  };
  return [`--max-old-space-size=${heap.maxOldSpaceMb}`, `--max-semi-space-size=${heap.maxSemiSpaceMb}`];
}

export interface LogRecord {
  level: string;
  msg: string;
  [key: string]: unknown;
}

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  logs: LogRecord[];
  /** Ports the service reported once listening. */
  ports: { http?: number; grpc?: number; admin: number };
  /** Resolves with the first log record (past or future) matching `match`. */
  waitForLog(match: (r: LogRecord) => boolean, timeoutMs?: number): Promise<LogRecord>;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
  stderr(): string;
}

export interface StartOptions {
  env?: Record<string, string>;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
  args?: string[];
  /** Resolve once the process logs `listening` (default), or at once. */
  waitListening?: boolean;
  /**
   * A command that execs node in its place, e.g. `['ip', 'netns', 'exec', '<ns>']` to run the
   * service in a network namespace (the child's pid is still node's).
   */
  wrapper?: string[];
}

export async function startService(
  name: 'patient-api' | 'patient-rpc',
  options: StartOptions = {},
): Promise<ServiceProcess> {
  return startProcess(
    name,
    [...(options.nodeArgs ?? []), join(ROOT, 'services', name, 'dist', 'main.js'), ...(options.args ?? [])],
    options,
  );
}

/** Starts `node argv...` and follows its JSON log lines (services, baselines, benchmarks). */
export async function startProcess(name: string, argv: string[], options: StartOptions = {}): Promise<ServiceProcess> {
  const [command, ...args] = [...(options.wrapper ?? []), process.execPath, ...argv];
  const child = spawn(command!, args, {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', NODE_ENV: 'test', PM_LOG__LEVEL: 'info', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogRecord[] = [];
  const waiters = new Set<{ match: (r: LogRecord) => boolean; resolve: (r: LogRecord) => void }>();
  let stderr = '';
  // Everything every process printed is kept for tests/logs/phi.test.ts, which scans it all.
  mkdirSync(SERVICE_LOG_DIR, { recursive: true });
  const kept = createWriteStream(join(SERVICE_LOG_DIR, `${name}-${child.pid ?? 'unstarted'}-${Date.now()}.log`));
  const keep = (chunk: Buffer | string) => {
    if (!kept.writableEnded) kept.write(chunk);
  };
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    keep(d);
  });
  child.once('close', () => kept.end());
  createInterface({ input: child.stdout! }).on('line', (line) => {
    keep(`${line}\n`);
    let record: LogRecord;
    try {
      record = JSON.parse(line) as LogRecord;
    } catch {
      return;
    }
    logs.push(record);
    for (const w of waiters)
      if (w.match(record)) {
        waiters.delete(w);
        w.resolve(record);
      }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const waitForLog = (match: (r: LogRecord) => boolean, timeoutMs = 30_000) => {
    const seen = logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise<LogRecord>((resolve, reject) => {
      const waiter = { match, resolve: (r: LogRecord) => (clearTimeout(timer), resolve(r)) };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`${name}: no matching log within ${timeoutMs} ms; stderr: ${stderr.slice(-2000)}`));
      }, timeoutMs);
      waiters.add(waiter);
      void exited.then((code) => {
        if (waiters.delete(waiter)) {
          clearTimeout(timer);
          reject(new Error(`${name} exited (${code}) before the expected log; stderr: ${stderr.slice(-2000)}`));
        }
      });
    });
  };

  const service: ServiceProcess = {
    name,
    child,
    logs,
    ports: { admin: 0 },
    waitForLog,
    exited,
    stderr: () => stderr,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
  if (options.waitListening !== false) {
    const listening = await waitForLog((r) => r.msg === 'listening', 60_000);
    service.ports = {
      admin: listening['adminPort'] as number,
      ...(typeof listening['httpPort'] === 'number' && { http: listening['httpPort'] }),
      ...(typeof listening['grpcPort'] === 'number' && { grpc: listening['grpcPort'] }),
    };
  }
  return service;
}

/**
 * Common env for a patient-rpc under test: loopback, ephemeral ports, in-memory store, mTLS
 * with the shared test mesh (only patient-api may call), tokens verified against `jwksFile`,
 * audit checkpoints signed with the test audit key.
 */
export function rpcEnv(jwksFile: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...testMesh.rpcEnv(),
    PM_AUTH__JWKS_FILE: jwksFile,
    PM_AUDIT__CHECKPOINTS__SIGNING_KEY_FILE: testAuditKey.signingKeyFile,
    PM_GRPC__HOST: '127.0.0.1',
    PM_GRPC__PORT: '0',
    PM_ADMIN__HOST: '127.0.0.1',
    PM_ADMIN__PORT: '0',
    PM_DATABASE__PGLITE_DIR: 'memory://',
    PM_LIFECYCLE__PRE_STOP_SECONDS: '0',
    PM_LIFECYCLE__SHUTDOWN_TIMEOUT_SECONDS: '10',
    ...extra,
  };
}

/** Common env for a patient-api under test: mTLS to patient-rpc with the shared test mesh. */
export function apiEnv(
  rpcTarget: string,
  jwksFile: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    ...testMesh.apiEnv(),
    PM_HTTP__HOST: '127.0.0.1',
    PM_HTTP__PORT: '0',
    PM_ADMIN__HOST: '127.0.0.1',
    PM_ADMIN__PORT: '0',
    PM_AUTH__JWKS_FILE: jwksFile,
    PM_RPC__TARGET: rpcTarget,
    PM_LIFECYCLE__PRE_STOP_SECONDS: '0',
    PM_LIFECYCLE__SHUTDOWN_TIMEOUT_SECONDS: '10',
    // The load shedder answers 503 while the event loop lags, as it does on a test machine
    // busy with other suites and image builds; a suite about shedding turns it back on.
    PM_SHEDDING__ENABLED: 'false',
    ...extra,
  };
}

/** A fresh database on the shared test PostgreSQL server. */
export async function createDatabase(serverUrl: string, name: string): Promise<string> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name}`);
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
