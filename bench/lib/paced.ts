// Paced load: Debian's wrk with bench/lib/paced.lua, which sends at a fixed arrival rate
// (latency at a given load, not at saturation) and records every response. Two latencies
// per request, labelled everywhere they are reported:
//   scheduled — from the request's scheduled send time (intended start, as wrk2 measures):
//               includes any wait for its connection, so coordinated omission is not hidden;
//   service   — from the moment the request was written (what wrk itself reports).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface PacedOptions {
  url: string;
  /** Requests per second, all connections together. */
  rate: number;
  durationS: number;
  /**
   * Connections, one wrk thread each; each sends every connections / rate seconds. Enough
   * that an answer is rarely still pending at its connection's next slot (see `late`).
   */
  connections?: number;
  headers?: Record<string, string>;
  /** Paths to cycle through. */
  paths: string[];
  /** Keep the raw samples (for CDFs and time series). */
  keepSamples?: boolean;
}

/** Latency percentiles in ms. */
export interface LatencyStats {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** Raw per-response samples, aligned arrays; times in ms. */
export interface PacedSamples {
  /** Scheduled send time, ms since the first slot of the run. */
  at: Float64Array;
  scheduled: Float64Array;
  service: Float64Array;
  status: Uint16Array;
}

export interface PacedResult {
  /** Requests/s asked for. */
  offered: number;
  /** Responses/s achieved. */
  rate: number;
  /** 2xx/s. */
  goodput: number;
  requests: number;
  ok: number;
  connections: number;
  /** How long wrk ran, in s: the duration asked for plus however long its threads took to stop. */
  durationS: number;
  /** Latency from the scheduled send time (intended start), every response. */
  scheduled: LatencyStats;
  /** Latency from the actual send (service time), every response. */
  service: LatencyStats;
  /** The same over 2xx answers only (accepted requests). */
  okScheduled: LatencyStats;
  okService: LatencyStats;
  /** Service-time percentiles as wrk reports them (the same as `service`), for older callers. */
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  /** Answers with status ≥ 400 (wrk's count). */
  non2xx: number;
  /** Answers by status class. */
  statuses: Record<string, number>;
  errors: number;
  timeouts: number;
  /** Sends that went out after their slot because their connection was still busy. */
  late: number;
  lateMaxMs: number;
  samples?: PacedSamples;
}

const SCRIPT = new URL('./paced.lua', import.meta.url).pathname;

/** The q-quantile (0..1) of sorted values (nearest rank); NaN when empty. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function latencyStats(values: Float64Array): LatencyStats {
  const sorted = Float64Array.from(values).sort();
  const r = (n: number) => Math.round(n * 1000) / 1000;
  return {
    p50: r(quantile(sorted, 0.5)),
    p90: r(quantile(sorted, 0.9)),
    p99: r(quantile(sorted, 0.99)),
    p999: r(quantile(sorted, 0.999)),
    max: r(sorted.length ? sorted[sorted.length - 1]! : Number.NaN),
  };
}

/** Parses paced.lua's sample file ("slot scheduled service status" per line, µs). */
export function parseSamples(text: string): PacedSamples {
  const lines = text.split('\n').filter(Boolean);
  const at = new Float64Array(lines.length);
  const scheduled = new Float64Array(lines.length);
  const service = new Float64Array(lines.length);
  const status = new Uint16Array(lines.length);
  lines.forEach((line, i) => {
    const [slot, sched, svc, code] = line.split(' ').map(Number);
    at[i] = slot!;
    scheduled[i] = sched! / 1000;
    service[i] = svc! / 1000;
    status[i] = code!;
  });
  const first = at.reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY);
  for (let i = 0; i < at.length; i++) at[i] = (at[i]! - first) / 1000;
  return { at, scheduled, service, status };
}

const select = (values: Float64Array, keep: Uint8Array) => values.filter((_, i) => keep[i] === 1);

export async function runPacedLoad(o: PacedOptions): Promise<PacedResult> {
  const connections = Math.max(1, Math.round(o.connections ?? 64));
  const dir = mkdtempSync(join(tmpdir(), 'pm-paced-'));
  try {
    const pathsFile = join(dir, 'paths');
    const samplesFile = join(dir, 'samples');
    writeFileSync(pathsFile, `${o.paths.join('\n')}\n`);
    const headerArgs = Object.entries(o.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
    const { stdout } = await promisify(execFile)(
      'wrk',
      [
        `-t${connections}`,
        `-c${connections}`,
        `-d${o.durationS}s`,
        '--timeout',
        '10s',
        ...headerArgs,
        '-s',
        SCRIPT,
        o.url,
        '--',
        pathsFile,
        String(o.rate),
        String(connections),
        samplesFile,
      ],
      { timeout: (o.durationS + 30) * 1000, maxBuffer: 16 * 2 ** 20 },
    );
    const line = stdout.split('\n').find((l) => l.startsWith('{"requests"'));
    if (!line) throw new Error(`wrk printed no result:\n${stdout}`);
    const r = JSON.parse(line) as Record<string, number>;
    const samples = parseSamples(readFileSync(samplesFile, 'utf8'));
    const ok = Uint8Array.from(samples.status, (s) => (s >= 200 && s < 300 ? 1 : 0));
    const okCount = ok.reduce((a, b) => a + b, 0);
    const statuses: Record<string, number> = {};
    for (const s of samples.status)
      statuses[`${Math.floor(s / 100)}xx`] = (statuses[`${Math.floor(s / 100)}xx`] ?? 0) + 1;
    const durationS = r['durationUs']! / 1e6;
    const service = latencyStats(samples.service);
    return {
      ...service,
      offered: o.rate,
      rate: samples.status.length / durationS,
      goodput: okCount / durationS,
      requests: samples.status.length,
      ok: okCount,
      connections,
      durationS,
      scheduled: latencyStats(samples.scheduled),
      service,
      okScheduled: latencyStats(select(samples.scheduled, ok)),
      okService: latencyStats(select(samples.service, ok)),
      non2xx: r['non2xx']!,
      statuses,
      errors: r['errors']!,
      timeouts: r['timeouts']!,
      late: r['late']!,
      lateMaxMs: r['lateMaxMs']!,
      ...(o.keepSamples && { samples }),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Percentile levels a CDF is reported at: fine towards the tail. */
export const CDF_LEVELS = [
  0, 1, 5, 10, 20, 30, 40, 50, 60, 70, 75, 80, 85, 90, 92.5, 95, 96, 97, 98, 99, 99.5, 99.9, 99.95, 99.99, 100,
];

/** The latency (ms) at each of CDF_LEVELS over `values`. */
export function cdf(values: ArrayLike<number>): Array<{ percentile: number; ms: number }> {
  const sorted = Float64Array.from(values).sort();
  return CDF_LEVELS.map((p) => ({
    percentile: p,
    ms: Math.round((p === 0 ? (sorted[0] ?? Number.NaN) : quantile(sorted, p / 100)) * 1000) / 1000,
  }));
}

/** Concatenates sample sets (rounds of one target). */
export function poolSamples(sets: PacedSamples[]): PacedSamples {
  const cat = <T extends Float64Array | Uint16Array>(pick: (s: PacedSamples) => T, make: (n: number) => T): T => {
    const out = make(sets.reduce((n, s) => n + pick(s).length, 0));
    let offset = 0;
    for (const s of sets) {
      out.set(pick(s), offset);
      offset += pick(s).length;
    }
    return out;
  };
  return {
    at: cat(
      (s) => s.at,
      (n) => new Float64Array(n),
    ),
    scheduled: cat(
      (s) => s.scheduled,
      (n) => new Float64Array(n),
    ),
    service: cat(
      (s) => s.service,
      (n) => new Float64Array(n),
    ),
    status: cat(
      (s) => s.status,
      (n) => new Uint16Array(n),
    ),
  };
}
