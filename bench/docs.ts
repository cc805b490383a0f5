// Regenerates the figure tables of docs/performance.md from a results file, between marker
// comments, instead of hand-copied tables:
//
//   <!-- bench:table:read-path -->
//   …generated, replaced on every run…
//   <!-- /bench:table -->
//
// `<!-- bench:source -->…<!-- /bench:source -->` names the run the tables come from. A
// marker whose data the run does not have is left as it is. `npm run bench` calls this at
// the end of a full run; by hand:
//
//   npm exec -- node bench/docs.ts [results.json] [--doc docs/performance.md] [--check]
// Without a file: the newest full run in bench/results. --check: exit 1 if the doc would change.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../tests/support/services.ts';
import type { AuditResult } from './lib/auditScenario.ts';
import type { ReadFigures } from './lib/reads.ts';
import {
  figures,
  fmt,
  latestFullResultsFile,
  readResults,
  targetText,
  type BenchResults,
  type Figure,
} from './report.ts';
import type { BreakerResult } from './scenarios/breaker.ts';
import type { CapacityResult } from './scenarios/capacity.ts';
import type { ConnectionsResult } from './scenarios/connections.ts';
import type { HalfLoadResult, PacedFigures } from './scenarios/halfLoad.ts';
import type { ImportScenarioResult } from './scenarios/import.ts';
import type { OverloadResult } from './scenarios/overload.ts';
import { failedStatuses, type ReadResult } from './scenarios/read.ts';
import type { ReadColdResult } from './scenarios/readCold.ts';
import type { RolloutResult } from './scenarios/rollout.ts';
import type { StartupResult } from './scenarios/startup.ts';

export const DOC = join(ROOT, 'docs', 'performance.md');
const SYS = 'system (PostgreSQL, tracing)';

function table(header: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) =>
    `| ${cells.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

const result = <R>(r: BenchResults, name: string) => r.scenarios[name]?.result as R | undefined;
const ms = (v: number | undefined | null, digits = 1) => fmt(v, digits);
const cpu = (f: ReadFigures) =>
  `${Object.entries(f.cpuPerRequestUs)
    .filter(([k]) => k !== 'loadgen')
    .map(([k, us]) => `${k} ${fmt(us)}`)
    .join(' + ')} = ${fmt(f.cpuTotalUs)}`;

function figureValue(f: Figure): string {
  if (f.unit === 'ratio') return fmt(f.value, 2);
  return `${fmt(f.value, f.unit === 'ms' ? 1 : 0)}${f.unit === 'count' ? '' : ` ${f.unit}`}`;
}

/** Each table by marker name; undefined when the run has no data for it. */
export const TABLES: Record<string, (r: BenchResults) => string | undefined> = {
  // Computed again from the scenarios' results, so a change in how a figure is worded or
  // derived reaches the docs without a new run.
  figures: (r) => {
    const list = figures(r.scenarios);
    return list.length
      ? table(
          ['Figure', 'Value', 'Target', 'Status', 'From'],
          list.map((f) => [
            f.label,
            figureValue(f),
            targetText(f.target),
            f.met === undefined ? '' : f.met ? 'met' : 'missed',
            f.detail,
          ]),
        )
      : undefined;
  },

  'read-path': (r) => {
    const warm = result<ReadResult>(r, 'read');
    const cold = result<ReadColdResult>(r, 'read-cold');
    if (!warm && !cold) return undefined;
    const rows: Array<Array<string | number>> = [];
    for (const [name, f] of Object.entries(warm?.targets ?? {}))
      rows.push([name, 'warm', fmt(f.goodput), ms(f.p99), cpu(f), fmt(f.cpuPerRequestUs['loadgen']), failed(f)]);
    for (const [name, f] of Object.entries(cold?.targets ?? {}))
      rows.push([
        name.replace(/, (cold|warm) ids$/, ''),
        name.endsWith('cold ids') ? 'cold' : 'warm (same rounds)',
        fmt(f.goodput),
        ms(f.p99),
        cpu(f),
        fmt(f.cpuPerRequestUs['loadgen']),
        failed(f),
      ]);
    const c = warm?.connections ?? cold?.connections;
    return table(
      [
        'Target',
        'Ids',
        `2xx/s (${c} connections)`,
        'p99 ms (closed loop)',
        'CPU µs per 2xx, by process',
        'Load generator µs',
        'Failed',
      ],
      rows,
    );
  },

  capacity: (r) => {
    const c = result<CapacityResult>(r, 'capacity');
    if (!c) return undefined;
    const sys = c.targets[SYS]!;
    const naive = c.targets['naive-pair']!;
    const cell = (t: CapacityResult['targets'][string], i: number) => {
      const p = t.points[i]!;
      const text = `${fmt(p.goodput)} (p99 ${ms(p.p99, 0)} ms)`;
      return p.connections === t.best.connections ? `**${text}**` : text;
    };
    return table(
      ['Connections', 'System 2xx/s', 'Naive pair 2xx/s', 'System / naive'],
      c.sweep.map((n, i) => [
        n,
        cell(sys, i),
        cell(naive, i),
        fmt(sys.points[i]!.goodput / naive.points[i]!.goodput, 2),
      ]),
    );
  },

  latency: (r) => {
    const h = result<HalfLoadResult>(r, 'half-load');
    if (!h) return undefined;
    return table(
      [
        `At ${h.rate}/s (50 % of ${fmt(h.capacity)})`,
        'From scheduled send p50 / p99 / p99.9 ms',
        'Service time p50 / p99 / p99.9 ms',
        'Sends late',
        'Failed',
      ],
      Object.entries(h.targets).map(([name, v]) => pacedRow(name, v)),
    );
  },

  breaker: (r) => {
    const b = result<BreakerResult>(r, 'breaker');
    if (!b) return undefined;
    return table(
      [
        `At ${b.rate}/s, ${plural(b.rounds, 'round')}, alternated`,
        'From scheduled send p50 / p99 / p99.9 ms',
        'Service time p50 / p99 / p99.9 ms',
        'Sends late',
        'Non-2xx',
      ],
      [pacedRow('healthy path', b.healthy), pacedRow('breaker open (503, fail fast)', b.open)],
    );
  },

  overload: (r) => {
    const o = result<OverloadResult>(r, 'overload');
    if (!o) return undefined;
    const shed = Object.entries(o.statuses)
      .filter(([k]) => k !== '2xx')
      .map(([k, n]) => `${fmt(n)} ${k}`)
      .join(', ');
    return table(
      [
        'Offered',
        'Answered/s',
        'Goodput (2xx/s)',
        'Goodput / capacity',
        'Accepted p50 / p99 ms, from scheduled send',
        'Accepted p50 / p99 ms, service time',
        'Shed, errors, late sends',
      ],
      [
        [
          `${fmt(o.offered)}/s (2 × ${fmt(o.capacity)}), ${o.connections} connections`,
          fmt(o.answered),
          fmt(o.goodput),
          fmt(o.goodputOverCapacity, 2),
          `${ms(o.okScheduled.p50)} / ${ms(o.okScheduled.p99)}`,
          `${ms(o.okService.p50)} / ${ms(o.okService.p99)}`,
          `${shed || 'none'}; ${o.errors}; ${fmt(o.late)}`,
        ],
      ],
    );
  },

  'zero-trust': (r) => {
    const read = result<ReadResult>(r, 'read');
    const mtls = read?.targets['system (PostgreSQL, no tracing)'];
    const plain = read?.targets['system (PostgreSQL, no tracing, no mTLS)'];
    const conn = result<ConnectionsResult>(r, 'connections');
    if (!mtls || !plain) return undefined;
    const us = (f: ReadFigures, k: string) => f.cpuPerRequestUs[k] ?? NaN;
    return table(
      ['', '2xx/s', 'CPU µs per 2xx, by process', 'New connection p50 / p99 ms'],
      [
        [
          'system on PostgreSQL, tracing off, mTLS',
          fmt(mtls.goodput),
          cpu(mtls),
          conn ? `${ms(conn.mtls.p50, 2)} / ${ms(conn.mtls.p99, 2)} (handshake)` : '',
        ],
        [
          'the same without in-app mTLS',
          fmt(plain.goodput),
          cpu(plain),
          conn ? `${ms(conn.tcp.p50, 2)} / ${ms(conn.tcp.p99, 2)} (TCP connect)` : '',
        ],
        [
          'ratio / difference',
          fmt(mtls.goodput / plain.goodput, 2),
          `${signed(us(mtls, 'api') - us(plain, 'api'))} api, ${signed(us(mtls, 'rpc') - us(plain, 'rpc'))} rpc`,
          conn ? `${fmt(conn.mtls.p50 / conn.tcp.p50, 0)} ×` : '',
        ],
      ],
    );
  },

  rollout: (r) => {
    const o = result<RolloutResult>(r, 'rollout');
    if (!o) return undefined;
    return table(
      [
        'Requests',
        'Failed',
        'Steady p50 / p99 ms',
        'During the rollout p50 / p99 ms',
        'Rollout took',
        'Drains (SIGTERM → exit)',
      ],
      [
        [
          fmt(o.sent),
          o.failed,
          `${ms(o.steady.p50)} / ${ms(o.steady.p99)}`,
          `${ms(o.rollout.p50)} / ${ms(o.rollout.p99)}`,
          `${fmt(o.rollout.durationMs / 1000, 1)} s`,
          `${o.drainMs.map((d) => fmt(d)).join(', ')} ms`,
        ],
      ],
    );
  },

  import: (r) => {
    const i = result<ImportScenarioResult>(r, 'import');
    if (!i?.sizes.length) return undefined;
    return table(
      [
        'Lines',
        'MB',
        'Upload s',
        'Total s',
        'Lines/s',
        'Peak RSS rpc MB (idle)',
        'Peak RSS api MB (idle)',
        'CPU s rpc / api',
        'Counts exact',
      ],
      i.sizes.map((s) => [
        fmt(s.lines),
        fmt(s.bytes / 1e6, 1),
        fmt(s.uploadSeconds, 1),
        fmt(s.totalSeconds, 1),
        fmt(s.linesPerSecond),
        `${s.rpcPeakRssMb} (${s.rpcIdlePeakRssMb})`,
        `${s.apiPeakRssMb} (${s.apiIdlePeakRssMb})`,
        `${fmt(s.rpcCpuSeconds, 1)} / ${fmt(s.apiCpuSeconds, 1)}`,
        s.countsExact ? 'yes' : 'NO',
      ]),
    );
  },

  startup: (r) => {
    const s = result<StartupResult>(r, 'startup');
    if (!s) return undefined;
    return table(
      ['Service', `Start to ready, ms (median of ${s.samples})`],
      Object.entries(s.coldStartMs).map(([name, v]) => [name, fmt(v)]),
    );
  },

  'audit-writers': (r) => {
    const a = result<AuditResult>(r, 'audit');
    if (!a?.writers.length) return undefined;
    return table(
      [
        'Writers',
        'Appends/s, chained → ledger',
        'CPU µs per append, chained → ledger',
        'Relinks (chained), retries (ledger)',
        'Failed (chained, ledger)',
      ],
      a.replicas.map((n) => {
        const c = a.writers.find((w) => w.replicas === n && w.writer === 'chained')!;
        const l = a.writers.find((w) => w.replicas === n && w.writer === 'ledger')!;
        return [
          n,
          `${fmt(c.appendsPerS)} → ${fmt(l.appendsPerS)} (${fmt(l.appendsPerS / c.appendsPerS, 2)} ×)`,
          `${fmt(c.cpuPerAppendUs.total)} → ${fmt(l.cpuPerAppendUs.total)}`,
          `${c.relinks}, ${l.relinks}`,
          `${c.failed}, ${l.failed}`,
        ];
      }),
    );
  },

  'audit-system': (r) => {
    const a = result<AuditResult>(r, 'audit');
    if (!a?.system.length) return undefined;
    return table(
      [
        'Replicas',
        'Read 2xx/s (× 1 replica)',
        'Non-2xx',
        'Appends/s',
        'CPU µs per append, rpc + PostgreSQL',
        'Records per INSERT',
        'Retries, gaps',
        'Integration delay p99',
        'Integrations per append',
      ],
      a.system.map((s) => [
        s.replicas,
        `${fmt(s.okPerS)} (${fmt(s.readRatio, 2)})`,
        fmt(s.failed),
        fmt(s.appendsPerS),
        `${fmt(s.cpuPerAppendUs.rpc)} + ${fmt(s.cpuPerAppendUs.postgres)}`,
        fmt(s.meanBatch, 1),
        `${s.retries}, ${s.gapsSealed}`,
        `${fmt(s.integrationDelayP99S, 2)} s${s.integrated ? '' : ' (not all integrated)'}`,
        fmt(s.integrationsPerAppend, 2),
      ]),
    );
  },
};

const failed = (f: ReadFigures) => `${fmt(f.failed)}${failedStatuses(f.statuses ?? {})}`;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

const signed = (n: number) => (Number.isFinite(n) ? `${n >= 0 ? '+' : '−'}${fmt(Math.abs(n))}` : '–');

function pacedRow(name: string, v: PacedFigures): Array<string | number> {
  const three = (s: PacedFigures['scheduled']) => `${ms(s.p50)} / ${ms(s.p99)} / ${ms(s.p999)}`;
  return [name, three(v.scheduled), three(v.service), fmt(v.late), fmt(v.failed)];
}

export function sourceLine(r: BenchResults, file: string): string {
  const m = r.machine;
  return (
    `Generated by \`bench/docs.ts\` from \`${relative(ROOT, file)}\`: ${m.cpus} × ${m.model}, ${m.memoryGiB} GiB, ` +
    `Node ${m.node.replace(/^v/, '')}, load average ${m.loadAverage.start[0]} at the start and ${m.loadAverage.end[0]} at the end; ` +
    `commit ${r.git.commit.slice(0, 10)}${r.git.dirty ? ' (with local changes)' : ''}; ${plural(r.args.rounds, 'round')} of ${r.args.durationS} s; ` +
    `${fmt(r.elapsedS)} s in all.`
  );
}

const MARKER = /(<!-- bench:table:([a-z-]+) -->\n)([\s\S]*?)(<!-- \/bench:table -->)/g;
const SOURCE = /(<!-- bench:source -->)([\s\S]*?)(<!-- \/bench:source -->)/g;

/** The doc with every marked table it has data for replaced. */
export function renderDoc(
  text: string,
  r: BenchResults,
  file: string,
): { text: string; updated: string[]; unknown: string[] } {
  const updated: string[] = [];
  const unknown: string[] = [];
  const out = text
    .replace(MARKER, (whole, open: string, name: string, _body: string, close: string) => {
      const make = TABLES[name];
      if (!make) {
        unknown.push(name);
        return whole;
      }
      const body = make(r);
      if (body === undefined) return whole;
      updated.push(name);
      return `${open}${body}\n${close}`;
    })
    .replace(
      SOURCE,
      (_whole, open: string, _body: string, close: string) => `${open}\n${sourceLine(r, file)}\n${close}`,
    );
  return { text: out, updated, unknown };
}

export function updateDocs(r: BenchResults, file: string, doc = DOC): string[] {
  const { text, updated, unknown } = renderDoc(readFileSync(doc, 'utf8'), r, file);
  if (unknown.length) throw new Error(`${doc}: no table generator for marker(s) ${unknown.join(', ')}`);
  writeFileSync(doc, text);
  return updated;
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { doc: { type: 'string' }, check: { type: 'boolean', default: false } },
  });
  const file = positionals[0] ?? latestFullResultsFile();
  const doc = values.doc ?? DOC;
  const r = readResults(file);
  if (values.check) {
    const before = readFileSync(doc, 'utf8');
    const { text } = renderDoc(before, r, file);
    process.stdout.write(text === before ? `${doc}: up to date with ${file}\n` : `${doc}: differs from ${file}\n`);
    process.exit(text === before ? 0 : 1);
  }
  const updated = updateDocs(r, file, doc);
  process.stdout.write(`${doc}: tables ${updated.join(', ')} from ${file}\n`);
}
