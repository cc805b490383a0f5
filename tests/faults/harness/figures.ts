// Figures of one fault row: what the load saw around the fault, written to
// .data/faults/<row>.json and printed as a table.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../support/services.ts';
import type { InvariantReport } from './invariant.ts';
import type { Outcome } from './load.ts';

export interface Phase {
  /** When the fault was injected (ms since the epoch). */
  faultAt: number;
  /** When it was healed (the process restarted, the partition healed, space freed...). */
  healAt: number;
}

export interface RowFigures {
  row: string;
  fault: string;
  requestsSent: number;
  byStatus: Record<string, number>;
  byReason: Record<string, number>;
  /** From the fault to the first failed answer after it (ms). */
  timeToFailFastMs: number | null;
  /** Slowest failed answer that started after the fault and ended before healing (ms). */
  slowestFailureMs: number | null;
  /** From healing to the first 2xx of a request sent after it (ms). */
  timeToRecoverMs: number | null;
  acknowledged: number;
  recordsLost: number;
  auditDuplicated: number;
  notes: Record<string, unknown>;
}

const count = (values: string[]) =>
  values.reduce<Record<string, number>>((acc, v) => ((acc[v] = (acc[v] ?? 0) + 1), acc), {});

export function figuresOf(
  row: string,
  fault: string,
  sent: number,
  outcomes: readonly Outcome[],
  phase: Phase,
  invariant: InvariantReport,
  notes: Record<string, unknown> = {},
): RowFigures {
  const ok = (o: Outcome) => o.status >= 200 && o.status < 300;
  const firstFailure = outcomes.filter((o) => !ok(o) && o.end >= phase.faultAt).sort((a, b) => a.end - b.end)[0];
  const firstRecovery = outcomes.filter((o) => ok(o) && o.start >= phase.healAt).sort((a, b) => a.end - b.end)[0];
  const failuresDuringFault = outcomes.filter((o) => !ok(o) && o.start >= phase.faultAt && o.end <= phase.healAt);
  return {
    row,
    fault,
    requestsSent: sent,
    byStatus: count(outcomes.map((o) => String(o.status))),
    byReason: count(outcomes.filter((o) => !ok(o)).map((o) => `${o.status} ${o.reason ?? '-'}`)),
    timeToFailFastMs: firstFailure ? firstFailure.end - phase.faultAt : null,
    slowestFailureMs: failuresDuringFault.length ? Math.max(...failuresDuringFault.map((o) => o.end - o.start)) : null,
    timeToRecoverMs: firstRecovery ? firstRecovery.end - phase.healAt : null,
    acknowledged: invariant.checked,
    recordsLost: invariant.lost,
    auditDuplicated: invariant.duplicated,
    notes,
  };
}

/** Writes the row's JSON under .data/faults/ and prints its table. */
export function recordFigures(figures: RowFigures): string {
  const dir = join(ROOT, '.data', 'faults');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${figures.row}.json`);
  writeFileSync(file, `${JSON.stringify(figures, null, 2)}\n`);
  const cells: Array<[string, string]> = [
    ['row', `${figures.row} (${figures.fault})`],
    ['requests sent', String(figures.requestsSent)],
    [
      'by status',
      Object.entries(figures.byStatus)
        .map(([s, n]) => `${s}: ${n}`)
        .join(', '),
    ],
    [
      'failures by reason',
      Object.entries(figures.byReason)
        .map(([s, n]) => `${s}: ${n}`)
        .join(', ') || '-',
    ],
    ['time to fail fast', figures.timeToFailFastMs === null ? '-' : `${figures.timeToFailFastMs} ms`],
    ['slowest failure', figures.slowestFailureMs === null ? '-' : `${figures.slowestFailureMs} ms`],
    ['time to recover', figures.timeToRecoverMs === null ? '-' : `${figures.timeToRecoverMs} ms`],
    ['2xx checked in SQL', String(figures.acknowledged)],
    ['records lost', String(figures.recordsLost)],
    ['audit duplicated', String(figures.auditDuplicated)],
    ...Object.entries(figures.notes).map(([k, v]): [string, string] => [
      k,
      typeof v === 'string' ? v : JSON.stringify(v),
    ]),
  ];
  const width = Math.max(...cells.map(([k]) => k.length));
  const table = cells.map(([k, v]) => `| ${k.padEnd(width)} | ${v} |`).join('\n');
  console.log(`${table}\n(${file})`);
  return file;
}
