// Load generation with autocannon (its own figures), plus per-status latency capture.
import autocannon, { type Result } from 'autocannon';
import type { EventEmitter } from 'node:events';

export interface LoadOptions {
  url: string;
  connections: number;
  durationS: number;
  /** Requests per second across all connections; omitted = as fast as possible. */
  overallRate?: number;
  headers?: Record<string, string>;
  /** Paths to cycle through (e.g. patient ids); default: the url's path. */
  paths?: string[];
  method?: 'GET' | 'POST';
  /** Builds a fresh body per request (POST). */
  body?: () => string;
  /** Stop after this many requests in all, if before `durationS` (e.g. each of `paths` once). */
  maxRequests?: number;
}

export interface LoadResult {
  connections: number;
  /** Responses per second, over the time from the start to the last response. */
  rps: number;
  /** 2xx per second. */
  goodput: number;
  p50: number;
  p99: number;
  p999: number;
  /** p99 of 2xx answers only (ms). */
  p99ok: number;
  requests: number;
  /** 2xx answers. */
  ok: number;
  /** Answers by status, e.g. { '200': 950, '503': 50 }. */
  statuses: Record<string, number>;
  non2xx: number;
  errors: number;
  timeouts: number;
  elapsedS: number;
}

/** Requests of one run at most, whatever the machine's speed (with the duration, a run's bounds). */
const MAX_REQUESTS = 5_000_000;

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  let next = 0;
  const okLatencies: number[] = [];
  const statuses: Record<string, number> = {};
  const t0 = performance.now();
  let last = t0;
  const instance = autocannon({
    url: o.url,
    connections: o.connections,
    duration: o.durationS,
    // Bounded in count as well as time.
    maxOverallRequests: Math.max(o.connections, o.maxRequests ?? MAX_REQUESTS),
    ...(o.overallRate && { overallRate: o.overallRate }),
    headers: { ...o.headers, ...(o.body && { 'content-type': 'application/json' }) },
    method: o.method ?? 'GET',
    timeout: 10,
    // autocannon stops at its next sample tick after the run ends: ticks every 200 ms, not 1 s.
    sampleInt: 200,
    requests: [
      {
        setupRequest: (req) => {
          if (o.paths) req.path = o.paths[next++ % o.paths.length]!;
          if (o.body) req.body = o.body();
          return req;
        },
      },
    ],
  }) as unknown as Promise<Result>;
  (instance as unknown as EventEmitter).on(
    'response',
    (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      last = performance.now();
      statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
      if (statusCode >= 200 && statusCode < 300 && okLatencies.length < 2_000_000) okLatencies.push(responseTime);
    },
  );
  const r = await instance;
  okLatencies.sort((a, b) => a - b);
  const ok = r.requests.total - r.non2xx;
  // autocannon's own duration runs to its next 1 s sample tick after the last response.
  const elapsedS = Math.max(1e-3, (last - t0) / 1000);
  return {
    connections: o.connections,
    rps: r.requests.total / elapsedS,
    goodput: ok / elapsedS,
    p50: r.latency.p50,
    p99: r.latency.p99,
    p999: r.latency.p99_9,
    p99ok: okLatencies.length
      ? okLatencies[Math.min(okLatencies.length - 1, Math.floor(okLatencies.length * 0.99))]!
      : NaN,
    requests: r.requests.total,
    ok,
    statuses,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    elapsedS,
  };
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Each field's median over the runs (runs of one shape, numeric fields). */
export function medians<T extends object>(runs: T[]): T {
  const keys = Object.keys(runs[0]!) as Array<keyof T>;
  return Object.fromEntries(keys.map((k) => [k, median(runs.map((r) => r[k] as number))])) as T;
}
