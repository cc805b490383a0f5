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
}

export interface LoadResult {
  rps: number;
  /** 2xx per second. */
  goodput: number;
  p50: number;
  p99: number;
  p999: number;
  /** p99 of 2xx answers only (ms). */
  p99ok: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  let next = 0;
  const okLatencies: number[] = [];
  const instance = autocannon({
    url: o.url,
    connections: o.connections,
    duration: o.durationS,
    ...(o.overallRate && { overallRate: o.overallRate }),
    headers: { ...o.headers, ...(o.body && { 'content-type': 'application/json' }) },
    method: o.method ?? 'GET',
    timeout: 10,
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
      if (statusCode >= 200 && statusCode < 300 && okLatencies.length < 2_000_000) okLatencies.push(responseTime);
    },
  );
  const r = await instance;
  okLatencies.sort((a, b) => a - b);
  const ok = r.requests.total - r.non2xx;
  return {
    rps: r.requests.average,
    goodput: ok / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    p999: r.latency.p99_9,
    p99ok: okLatencies.length
      ? okLatencies[Math.min(okLatencies.length - 1, Math.floor(okLatencies.length * 0.99))]!
      : NaN,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
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
