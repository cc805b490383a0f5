// Paced load: Debian's wrk with bench/lib/paced.lua, which spaces sends evenly at a fixed
// arrival rate (latency at a given load, not at saturation). wrk's own figures.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface PacedOptions {
  url: string;
  /** Requests per second, all connections together. */
  rate: number;
  durationS: number;
  /** Enough that a slow answer never holds up the schedule (see `late`). */
  connections?: number;
  headers?: Record<string, string>;
  /** Paths to cycle through. */
  paths: string[];
}

export interface PacedResult {
  /** Achieved requests/s. */
  rate: number;
  requests: number;
  /** How long wrk ran, in s: the duration asked for plus however long its threads took to stop. */
  durationS: number;
  /** Latencies in ms. */
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  /** Answers with status ≥ 400. */
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Sends that went out after their slot because every connection was busy. */
  late: number;
}

const SCRIPT = new URL('./paced.lua', import.meta.url).pathname;

export async function runPacedLoad(o: PacedOptions): Promise<PacedResult> {
  const threads = o.rate > 2000 ? 2 : 1;
  const dir = mkdtempSync(join(tmpdir(), 'pm-paced-'));
  try {
    const pathsFile = join(dir, 'paths');
    writeFileSync(pathsFile, `${o.paths.join('\n')}\n`);
    const headerArgs = Object.entries(o.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
    const { stdout } = await promisify(execFile)(
      'wrk',
      [
        `-t${threads}`,
        `-c${Math.max(threads, o.connections ?? 64)}`,
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
        String(threads),
      ],
      { timeout: (o.durationS + 30) * 1000 },
    );
    const line = stdout.split('\n').find((l) => l.startsWith('{"requests"'));
    if (!line) throw new Error(`wrk printed no result:\n${stdout}`);
    const r = JSON.parse(line) as Record<string, number>;
    const ms = (us: number) => us / 1000;
    const durationS = r['durationUs']! / 1e6;
    return {
      rate: r['requests']! / durationS,
      requests: r['requests']!,
      durationS,
      p50: ms(r['p50Us']!),
      p90: ms(r['p90Us']!),
      p99: ms(r['p99Us']!),
      p999: ms(r['p999Us']!),
      max: ms(r['maxUs']!),
      non2xx: r['non2xx']!,
      errors: r['errors']!,
      timeouts: r['timeouts']!,
      late: r['late']!,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
