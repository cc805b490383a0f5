// The report of a benchmark run: the results file (versioned, self-describing: machine,
// git commit, arguments, every scenario's figures, every ratio with its target), the table
// printed at the end, and the figures (ratios) both are built from.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../tests/support/services.ts';
import type { BenchArgs, Scenario } from './context.ts';
import type { AuditResult } from './lib/auditScenario.ts';
import type { CapacityResult } from './scenarios/capacity.ts';
import type { ConnectionsResult } from './scenarios/connections.ts';
import type { HalfLoadResult } from './scenarios/halfLoad.ts';
import type { BreakerResult } from './scenarios/breaker.ts';
import type { ImportScenarioResult } from './scenarios/import.ts';
import type { OverloadResult } from './scenarios/overload.ts';
import type { ReadResult } from './scenarios/read.ts';
import type { ReadColdResult } from './scenarios/readCold.ts';
import type { RolloutResult } from './scenarios/rollout.ts';
import type { StartupResult } from './scenarios/startup.ts';

export const RESULTS_FORMAT = 'patient-mesh-bench-results';
/** 2: scenarios keyed by name with their own elapsed time, figures as a list, two labelled latencies. */
export const RESULTS_VERSION = 2;

export const DEFINITIONS = {
  rounds:
    'Every comparison runs its targets alternately, the order rotated each round; a figure is the median over rounds, a count the sum.',
  throughput: '2xx answers per second over the time from the start of a run to its last answer.',
  latency: {
    'send (closed loop)':
      "autocannon, a fixed number of connections each sending its next request when the previous answer has arrived: from each request's send to its answer.",
    'scheduled send':
      "wrk with bench/lib/paced.lua, paced (open loop): from each request's scheduled send time (intended start, as wrk2 measures), so time spent waiting for a busy connection counts (no coordinated omission).",
    'send (service)': 'the same paced runs, from the moment the request was written (service time).',
  },
  cpuPerRequest:
    "CPU seconds (utime + stime from /proc/<pid>/stat) each process used during a run over the requests answered, µs; postgres: the server's postmaster (from postmaster.pid) and its children; loadgen: the benchmark process (autocannon).",
};

export interface Figure {
  key: string;
  label: string;
  value: number;
  unit: 'ratio' | 'ms' | 'ok/s' | 'lines/s' | 'MB' | 'count' | 'µs';
  /** The project's target for it, when it has one. */
  target?: { op: '>=' | '<=' | '='; value: number };
  met?: boolean;
  /** Which latency a latency figure is of (see DEFINITIONS.latency). */
  latency?: keyof typeof DEFINITIONS.latency;
  /** The figures it is computed from, in words. */
  detail: string;
}

export interface ScenarioRecord<R = unknown> {
  label: string;
  elapsedS: number;
  result: R;
}

export interface BenchResults {
  format: typeof RESULTS_FORMAT;
  version: typeof RESULTS_VERSION;
  description: string;
  startedAt: string;
  finishedAt: string;
  elapsedS: number;
  machine: ReturnType<typeof machine>;
  git: ReturnType<typeof gitInfo>;
  args: BenchArgs;
  definitions: typeof DEFINITIONS;
  scenarios: Record<string, ScenarioRecord>;
  figures: Figure[];
}

/** A number for the table: NaN and missing values as '–'. */
export function fmt(value: number | undefined | null, digits = 0): string {
  if (value === undefined || value === null || !Number.isFinite(value)) return '–';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function machine(load: { start: number[]; end?: number[] }) {
  return {
    cpus: cpus().length,
    model: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: process.platform,
    kernel: release(),
    loadAverage: {
      start: load.start.map((n) => Math.round(n * 100) / 100),
      end: (load.end ?? loadavg()).map((n) => Math.round(n * 100) / 100),
    },
  };
}

export function gitInfo() {
  const git = (...args: string[]) => {
    try {
      return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return undefined;
    }
  };
  // Changes to the docs do not change what is measured.
  const status = git('status', '--porcelain', '--untracked-files=no', '--', '.', ':!docs');
  return {
    commit: git('rev-parse', 'HEAD') ?? 'unknown',
    branch: git('rev-parse', '--abbrev-ref', 'HEAD') ?? 'unknown',
    subject: git('log', '-1', '--format=%s') ?? '',
    /** Tracked files outside docs/ changed since the commit (what was measured may differ from it). */
    dirty: status === undefined ? null : status.length > 0,
  };
}

const ratio = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined && b !== 0 ? a / b : Number.NaN;

function check(value: number, target: Figure['target']): boolean | undefined {
  if (!target || !Number.isFinite(value)) return undefined;
  if (target.op === '>=') return value >= target.value;
  if (target.op === '<=') return value <= target.value;
  return value === target.value;
}

/** Every ratio and headline figure the scenarios present in this run allow. */
export function figures(scenarios: Record<string, ScenarioRecord>): Figure[] {
  const out: Figure[] = [];
  const add = (f: Omit<Figure, 'met'>) => out.push({ ...f, ...(f.target && { met: check(f.value, f.target) }) });
  const get = <R>(name: string) => scenarios[name]?.result as R | undefined;
  const SYS = 'system (PostgreSQL, tracing)';

  const read = get<ReadResult>('read');
  if (read) {
    const t = read.targets;
    const sys = t[SYS];
    const naive = t['naive-pair'];
    const bare = t['bare-http'];
    add({
      key: 'read.warm.system/naive',
      label: 'Read path, warm: system on PostgreSQL / naive pair (2xx/s)',
      value: ratio(sys?.goodput, naive?.goodput),
      unit: 'ratio',
      target: { op: '>=', value: 0.6 },
      detail: `${fmt(sys?.goodput)} vs ${fmt(naive?.goodput)} ok/s at ${read.connections} connections`,
    });
    add({
      key: 'read.warm.system/bare',
      label: 'Read path, warm: system / bare-http',
      value: ratio(sys?.goodput, bare?.goodput),
      unit: 'ratio',
      detail: `${fmt(sys?.goodput)} vs ${fmt(bare?.goodput)} ok/s`,
    });
    add({
      key: 'cpu.warm.system/naive',
      label: 'CPU per 2xx answer, warm, all processes: system / naive pair',
      value: ratio(sys?.cpuTotalUs, naive?.cpuTotalUs),
      unit: 'ratio',
      target: { op: '<=', value: 2 },
      detail: `${fmt(sys?.cpuTotalUs)} µs (${cpuParts(sys?.cpuPerRequestUs)}) vs ${fmt(naive?.cpuTotalUs)} µs (${cpuParts(naive?.cpuPerRequestUs)})`,
    });
    const noTrace = t['system (PostgreSQL, no tracing)'];
    const plain = t['system (PostgreSQL, no tracing, no mTLS)'];
    add({
      key: 'read.tracing-on/off',
      label: 'Tracing on / off, throughput',
      value: ratio(sys?.goodput, noTrace?.goodput),
      unit: 'ratio',
      detail: `${fmt(sys?.goodput)} vs ${fmt(noTrace?.goodput)} ok/s`,
    });
    add({
      key: 'read.mtls-on/off',
      label: 'mTLS on / off, throughput (tracing off)',
      value: ratio(noTrace?.goodput, plain?.goodput),
      unit: 'ratio',
      detail: `${fmt(noTrace?.goodput)} vs ${fmt(plain?.goodput)} ok/s; CPU ${fmt(noTrace?.cpuTotalUs)} vs ${fmt(plain?.cpuTotalUs)} µs per 2xx`,
    });
  }

  const cold = get<ReadColdResult>('read-cold');
  if (cold) {
    const t = cold.targets;
    const sysCold = t[`${SYS}, cold ids`];
    const sysWarm = t[`${SYS}, warm ids`];
    const naiveCold = t['naive-pair, cold ids'];
    add({
      key: 'read.cold.system/naive',
      label: 'Read path, cold: system on PostgreSQL / naive pair (2xx/s)',
      value: ratio(sysCold?.goodput, naiveCold?.goodput),
      unit: 'ratio',
      target: { op: '>=', value: 0.4 },
      detail: `${fmt(sysCold?.goodput)} vs ${fmt(naiveCold?.goodput)} ok/s, ids read once each`,
    });
    add({
      key: 'read.cold/warm',
      label: 'Read path, system: cold / warm ids (2xx/s)',
      value: ratio(sysCold?.goodput, sysWarm?.goodput),
      unit: 'ratio',
      detail: `${fmt(sysCold?.goodput)} vs ${fmt(sysWarm?.goodput)} ok/s in the same rounds`,
    });
    add({
      key: 'cpu.cold.system/naive',
      label: 'CPU per 2xx answer, cold, all processes: system / naive pair',
      value: ratio(sysCold?.cpuTotalUs, naiveCold?.cpuTotalUs),
      unit: 'ratio',
      detail: `${fmt(sysCold?.cpuTotalUs)} µs (${cpuParts(sysCold?.cpuPerRequestUs)}) vs ${fmt(naiveCold?.cpuTotalUs)} µs`,
    });
  }

  const capacity = get<CapacityResult>('capacity');
  if (capacity) {
    const sys = capacity.targets[SYS]!.best;
    const naive = capacity.targets['naive-pair']!.best;
    add({
      key: 'capacity.system/naive',
      label: 'Capacity (best 2xx/s over the sweep): system / naive pair',
      value: ratio(sys.goodput, naive.goodput),
      unit: 'ratio',
      target: { op: '>=', value: 0.6 },
      detail: `${fmt(sys.goodput)} ok/s at ${sys.connections} connections vs ${fmt(naive.goodput)} at ${naive.connections} (sweep ${capacity.sweep.join(', ')})`,
    });
  }

  const half = get<HalfLoadResult>('half-load');
  if (half) {
    const sys = half.targets[SYS]!;
    const naive = half.targets['naive-pair']!;
    const bare = half.targets['bare-http']!;
    add({
      key: 'half.p99.system/naive',
      label: `p99 at 50 % load (${half.rate}/s), from scheduled send: system / naive pair`,
      value: ratio(sys.scheduled.p99, naive.scheduled.p99),
      unit: 'ratio',
      target: { op: '<=', value: 3 },
      latency: 'scheduled send',
      detail: `${fmt(sys.scheduled.p99, 1)} vs ${fmt(naive.scheduled.p99, 1)} ms (service time: ${fmt(sys.service.p99, 1)} vs ${fmt(naive.service.p99, 1)} ms)`,
    });
    for (const [key, name, v] of [
      ['system', 'system', sys],
      ['naive', 'naive pair', naive],
      ['bare', 'bare-http (machine floor)', bare],
    ] as const)
      add({
        key: `half.p99/p50.${key}`,
        label: `p99 / p50 at 50 % load, from scheduled send: ${name}`,
        value: ratio(v.scheduled.p99, v.scheduled.p50),
        unit: 'ratio',
        latency: 'scheduled send',
        detail: `${fmt(v.scheduled.p99, 1)} / ${fmt(v.scheduled.p50, 1)} ms; ${fmt(v.late)} sends late`,
      });
  }

  const breaker = get<BreakerResult>('breaker');
  if (breaker)
    add({
      key: 'breaker.open/healthy.p99',
      label: `Breaker-open p99 / healthy p99 (paced, ${breaker.rate}/s, from scheduled send)`,
      value: ratio(breaker.open.scheduled.p99, breaker.healthy.scheduled.p99),
      unit: 'ratio',
      latency: 'scheduled send',
      target: { op: '<=', value: 0.2 },
      detail: `${fmt(breaker.open.scheduled.p99, 1)} / ${fmt(breaker.healthy.scheduled.p99, 1)} ms (service time ${fmt(breaker.open.service.p99, 1)} / ${fmt(breaker.healthy.service.p99, 1)} ms), alternated over ${breaker.rounds} round${breaker.rounds === 1 ? '' : 's'}`,
    });

  const overload = get<OverloadResult>('overload');
  if (overload) {
    const shed = Object.entries(overload.statuses)
      .filter(([k]) => k !== '2xx')
      .reduce((a, [, n]) => a + n, 0);
    add({
      key: 'overload.goodput/capacity',
      label: 'Overload at 2 × swept capacity: goodput / capacity',
      value: overload.goodputOverCapacity,
      unit: 'ratio',
      target: { op: '>=', value: 0.9 },
      detail: `${fmt(overload.goodput)} ok/s at ${fmt(overload.offered)}/s offered, capacity ${fmt(overload.capacity)}; ${fmt(shed)} shed (non-2xx), ${overload.errors} errors`,
    });
    add({
      key: 'overload.p99.accepted',
      label: 'Overload: p99 of accepted (2xx) requests, from scheduled send',
      value: overload.okScheduled.p99,
      unit: 'ms',
      latency: 'scheduled send',
      detail: `service time p99 ${fmt(overload.okService.p99, 1)} ms; ${fmt(overload.late)} sends late`,
    });
  }

  const connections = get<ConnectionsResult>('connections');
  if (connections)
    add({
      key: 'connections.mtls/tcp',
      label: 'New connection, median: mTLS handshake / TCP connect',
      value: ratio(connections.mtls.p50, connections.tcp.p50),
      unit: 'ratio',
      detail: `${fmt(connections.mtls.p50, 2)} vs ${fmt(connections.tcp.p50, 2)} ms`,
    });

  const startup = get<StartupResult>('startup');
  if (startup) {
    const pgOnly = Object.entries(startup.coldStartMs).filter(([name]) => !name.includes('PGlite'));
    add({
      key: 'startup.worst',
      label: 'Cold start, worst service (PostgreSQL)',
      value: Math.max(...pgOnly.map(([, ms]) => ms)),
      unit: 'ms',
      target: { op: '<=', value: 1500 },
      detail: Object.entries(startup.coldStartMs)
        .map(([name, ms]) => `${name} ${fmt(ms)} ms`)
        .join(', '),
    });
  }

  const rollout = get<RolloutResult>('rollout');
  if (rollout)
    add({
      key: 'rollout.failed',
      label: 'Rolling update: failed requests',
      value: rollout.failed,
      unit: 'count',
      target: { op: '=', value: 0 },
      detail: `${fmt(rollout.sent)} requests; p99 ${fmt(rollout.steady.p99, 1)} ms steady, ${fmt(rollout.rollout.p99, 1)} ms during the rollout; drains ${rollout.drainMs.join('/')} ms`,
    });

  const imports = get<ImportScenarioResult>('import');
  if (imports?.sizes.length) {
    const largest = imports.sizes.at(-1)!;
    add({
      key: 'import.lines/s',
      label: `ePRO import, ${fmt(largest.lines)} lines: lines/s`,
      value: largest.linesPerSecond,
      unit: 'lines/s',
      target: { op: '>=', value: 25_000 },
      detail: imports.sizes.map((i) => `${fmt(i.linesPerSecond)} (${fmt(i.lines)} lines)`).join(', '),
    });
    add({
      key: 'import.peak-rss',
      label: 'ePRO import: peak RSS, worst service and size',
      value: Math.max(...imports.sizes.flatMap((r) => [r.rpcPeakRssMb, r.apiPeakRssMb])),
      unit: 'MB',
      target: { op: '<=', value: 150 },
      detail: imports.sizes
        .map((i) => `rpc ${i.rpcPeakRssMb}, api ${i.apiPeakRssMb} MB (${fmt(i.lines)} lines)`)
        .join('; '),
    });
  }

  const audit = get<AuditResult>('audit');
  if (audit?.system.length) {
    const last = audit.system.at(-1)!;
    add({
      key: 'audit.read.replicas/1',
      label: `Audit: read throughput, ${last.replicas} rpc replicas / 1`,
      value: last.readRatio,
      unit: 'ratio',
      detail: audit.system.map((s) => `${s.replicas}: ${fmt(s.okPerS)} ok/s`).join(', '),
    });
    add({
      key: 'audit.retries',
      label: 'Audit: append retries (every replica count)',
      value: audit.system.reduce((a, s) => a + s.retries, 0),
      unit: 'count',
      target: { op: '=', value: 0 },
      detail: audit.system.map((s) => `${s.replicas}: ${s.retries}`).join(', '),
    });
  }
  return out;
}

const cpuParts = (parts: Record<string, number> | undefined) =>
  parts
    ? Object.entries(parts)
        .filter(([k]) => k !== 'loadgen')
        .map(([k, us]) => `${k} ${fmt(us)}`)
        .join(' + ')
    : '–';

export const TABLE_HEADER = [
  'scenario',
  'target',
  'req/s',
  'latency from',
  'p50 ms',
  'p99 ms',
  'p99.9 ms',
  'failed / notes',
];

export function formatTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (cell ?? '').padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export const targetText = (t: Figure['target']) =>
  t ? `${t.op === '=' ? '=' : t.op === '>=' ? '≥' : '≤'} ${fmt(t.value, Number.isInteger(t.value) ? 0 : 1)}` : '';

export function printReport(results: BenchResults, scenarios: Scenario[]): void {
  const rows: string[][] = [TABLE_HEADER];
  for (const s of scenarios) {
    const record = results.scenarios[s.name];
    if (!record) continue;
    for (const [i, row] of s.rows(record.result).entries()) rows.push([i === 0 ? s.label : '', ...row]);
  }
  const out = process.stdout;
  out.write(`\n${formatTable(rows)}\n`);
  out.write(
    '\nlatency from: "send (closed loop)" autocannon, from each send; "scheduled send" paced wrk, from the\n' +
      'scheduled send time (intended start, as wrk2); "send (service)" the same paced runs, from the actual send.\n',
  );
  out.write('\nfigures:\n');
  const width = Math.max(...results.figures.map((f) => f.label.length));
  for (const f of results.figures) {
    const value = f.unit === 'ratio' ? fmt(f.value, 2) : `${fmt(f.value, f.unit === 'ms' ? 1 : 0)} ${f.unit}`;
    const status = f.met === undefined ? '' : f.met ? '  met' : '  missed';
    out.write(`  ${f.label.padEnd(width)}  ${value.padStart(10)}  ${targetText(f.target).padEnd(8)}${status}\n`);
  }
  const m = results.machine;
  out.write(
    `\nmachine: ${m.cpus} × ${m.model}, ${m.memoryGiB} GiB, Node ${m.node}, load ${m.loadAverage.start[0]} → ${m.loadAverage.end[0]}; ` +
      `${results.git.commit.slice(0, 12)}${results.git.dirty ? ' (modified)' : ''}; ${results.elapsedS} s\n`,
  );
  out.write(
    `scenarios (s): ${Object.entries(results.scenarios)
      .map(([name, r]) => `${name} ${r.elapsedS}`)
      .join(', ')}\n`,
  );
}

export function writeResults(results: BenchResults, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `bench-${results.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}

export const RESULTS_DIR = join(ROOT, 'bench', 'results');

/** The newest results file in `dir` of a full run (every scenario, not --quick); names sort by time. */
export function latestFullResultsFile(dir = RESULTS_DIR): string {
  const files = readdirSync(dir)
    .filter((f) => /^bench-.*\.json$/.test(f))
    .sort()
    .reverse();
  for (const f of files) {
    try {
      const r = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Partial<BenchResults>;
      if (r.format === RESULTS_FORMAT && r.version === RESULTS_VERSION && !r.args?.quick && !r.args?.only)
        return join(dir, f);
    } catch {
      // not a results file
    }
  }
  throw new Error(`no results of a full run in ${dir}: run npm run bench first`);
}

export function readResults(file: string): BenchResults {
  const r = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
  if (r.format !== RESULTS_FORMAT || r.version !== RESULTS_VERSION)
    throw new Error(
      `${file}: not a version ${RESULTS_VERSION} ${RESULTS_FORMAT} file (format ${r.format}, version ${r.version})`,
    );
  return r;
}
