// The one line CI reads: "N passed, N failed", and the exit status that goes with it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('test-summary.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'pm-summary-'));

function summary(report: object | undefined, ...args: string[]) {
  const file = join(dir, `${Math.random()}.json`);
  if (report) writeFileSync(file, JSON.stringify(report));
  const r = spawnSync(process.execPath, [SCRIPT, file, ...args], { encoding: 'utf8' });
  return { line: r.stdout.trim(), status: r.status };
}

const report = (passed: number, failed: number, extra: object = {}) => ({
  numPassedTests: passed,
  numFailedTests: failed,
  numPendingTests: 0,
  numFailedTestSuites: 0,
  numTotalTests: passed + failed,
  ...extra,
});

describe('test-summary', () => {
  it('prints the totals and exits 0 when nothing failed', () => {
    expect(summary(report(7, 0))).toEqual({ line: '7 passed, 0 failed', status: 0 });
  });

  it('exits 1 on a failed test, a suite that failed to load, or a missing report', () => {
    expect(summary(report(7, 2))).toEqual({ line: '7 passed, 2 failed', status: 1 });
    expect(summary(report(7, 0, { numFailedTestSuites: 1 }))).toEqual({ line: '7 passed, 1 failed', status: 1 });
    expect(summary(undefined)).toEqual({ line: '0 passed, 1 failed', status: 1 });
  });

  it("adds the container tier's counts", () => {
    const counts = join(dir, 'counts');
    writeFileSync(counts, '18,1\n');
    expect(summary(report(7, 0), counts)).toEqual({ line: '25 passed, 1 failed', status: 1 });
  });

  it('counts a failed vitest run with no failed test (a coverage floor not met) as one failure', () => {
    expect(summary(report(7, 0), join(dir, 'none'), '1')).toEqual({ line: '7 passed, 1 failed', status: 1 });
    expect(summary(report(7, 0), join(dir, 'none'), '0')).toEqual({ line: '7 passed, 0 failed', status: 0 });
  });
});
