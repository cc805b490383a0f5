// Closed-loop HTTP load over keep-alive connections: each of `connections` workers sends
// its next request on a pooled socket as soon as the previous response has been read, so
// every connection is reused at once (the case a naive drain loses). Bounded by both a
// duration and a request count.
import { Agent, request } from 'node:http';

/**
 * patient-api settings for load tests: one test subject at ~1000 requests/s would hit the
 * per-subject rate limit, and on a shared 2-core machine event-loop lag would trigger load
 * shedding; both answer early with 429/503, which these tests would count as drain failures.
 */
export const LOAD_TEST_API_ENV: Record<string, string> = {
  PM_RATE_LIMIT__ENABLED: 'false',
  PM_SHEDDING__ENABLED: 'false',
};

export interface LoadOptions {
  url: string | (() => string);
  headers?: Record<string, string>;
  connections: number;
  durationMs: number;
  maxRequests: number;
  /** false: a new connection per request (`Connection: close`), like clients that come and go. Default true. */
  keepAlive?: boolean;
  /** Per-request timeout; a request past it counts as failed. Default 5000 ms. */
  requestTimeoutMs?: number;
}

export interface Sample {
  /** Start time, ms since the run began. */
  at: number;
  latencyMs: number;
  status: number;
  error?: string;
}

export interface LoadResult {
  sent: number;
  ok: number;
  failed: number;
  /** Up to 20 failures, with what went wrong. */
  failures: Sample[];
  samples: Sample[];
  /** Distinct TCP connections the client opened. */
  connectionsOpened: number;
  durationMs: number;
}

export interface LoadRun {
  /** Ends the run early (workers finish their current request). */
  stop(): void;
  /** Resolves once the first `n` requests have succeeded (a start-of-load barrier). */
  okCount(n: number): Promise<void>;
  readonly result: Promise<LoadResult>;
  readonly startedAt: number;
  /** Requests that succeeded so far. */
  readonly ok: number;
}

export function startLoad(options: LoadOptions): LoadRun {
  const agent = new Agent({
    keepAlive: options.keepAlive ?? true,
    maxSockets: options.connections,
    scheduling: 'fifo',
  });
  let connectionsOpened = 0;
  const createConnection = agent.createConnection.bind(agent);
  agent.createConnection = ((...args: Parameters<typeof createConnection>) => {
    connectionsOpened += 1;
    return createConnection(...args);
  }) as typeof agent.createConnection;

  const startedAt = performance.now();
  const deadline = startedAt + options.durationMs;
  const samples: Sample[] = [];
  let sent = 0;
  let ok = 0;
  let stopped = false;
  const okWaiters: Array<{ n: number; resolve: () => void }> = [];
  const url = typeof options.url === 'function' ? options.url : () => options.url as string;

  const once = (): Promise<Sample> =>
    new Promise((resolve) => {
      const t0 = performance.now();
      const done = (status: number, error?: string) =>
        resolve({ at: t0 - startedAt, latencyMs: performance.now() - t0, status, ...(error && { error }) });
      const req = request(
        url(),
        { agent, headers: options.headers, timeout: options.requestTimeoutMs ?? 5000 },
        (res) => {
          res.on('data', () => {});
          res.once('end', () => done(res.statusCode ?? 0));
          res.once('error', (e) => done(res.statusCode ?? 0, `response: ${e.message}`));
        },
      );
      req.once('timeout', () => req.destroy(new Error('request timeout')));
      req.once('error', (e: NodeJS.ErrnoException) => done(0, `${e.code ?? ''} ${e.message}`.trim()));
      req.end();
    });

  const worker = async () => {
    while (!stopped && performance.now() < deadline && sent < options.maxRequests) {
      sent += 1;
      const sample = await once();
      samples.push(sample);
      if (sample.status >= 200 && sample.status < 300 && !sample.error) {
        ok += 1;
        for (const w of [...okWaiters])
          if (ok >= w.n) {
            okWaiters.splice(okWaiters.indexOf(w), 1);
            w.resolve();
          }
      }
    }
  };

  const result = Promise.all(Array.from({ length: options.connections }, worker)).then((): LoadResult => {
    agent.destroy();
    const failures = samples.filter((s) => s.error || s.status < 200 || s.status >= 300);
    return {
      sent,
      ok,
      failed: failures.length,
      failures: failures.slice(0, 20),
      samples,
      connectionsOpened,
      durationMs: performance.now() - startedAt,
    };
  });

  return {
    startedAt,
    result,
    get ok() {
      return ok;
    },
    stop: () => (stopped = true),
    okCount: (n) =>
      ok >= n
        ? Promise.resolve()
        : Promise.race([
            new Promise<void>((resolve) => okWaiters.push({ n, resolve })),
            result.then(() => {
              throw new Error(`load ended before ${n} requests succeeded (ok ${ok}, sent ${sent})`);
            }),
          ]),
  };
}

/** The q-quantile (0..1) of latencies, in ms. */
export function quantile(samples: readonly Sample[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = samples.map((s) => s.latencyMs).sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}
