// Prints "N passed, N failed" from vitest's JSON report, plus the container tier's counts
// when given (a file holding "passed,failed"); exits 1 if the report is missing or shows
// failures (including suites that failed to load).
import { existsSync, readFileSync } from 'node:fs';

const file = process.argv[2] ?? '.data/vitest-report.json';
const extraFile = process.argv[3];
const [extraPassed, extraFailed] =
  extraFile && existsSync(extraFile) ? readFileSync(extraFile, 'utf8').trim().split(',').map(Number) : [0, 0];
if (!existsSync(file)) {
  process.stdout.write('0 passed, 1 failed\n');
  process.stderr.write(`test-summary: no report at ${file}\n`);
  process.exit(1);
}
const report = JSON.parse(readFileSync(file, 'utf8')) as {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numFailedTestSuites: number;
  numTotalTests: number;
};
const failed =
  report.numFailedTests +
  (report.numFailedTestSuites > 0 && report.numFailedTests === 0 ? report.numFailedTestSuites : 0) +
  (extraFailed ?? 0);
const passed = report.numPassedTests + (extraPassed ?? 0);
const skipped = report.numPendingTests;
process.stdout.write(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(failed > 0 || report.numTotalTests === 0 ? 1 : 0);
