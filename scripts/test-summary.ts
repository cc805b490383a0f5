// Prints "N passed, N failed" from vitest's JSON report, plus the container tier's counts
// when given (a file holding "passed,failed"); exits 1 if the report is missing or shows
// failures (including suites that failed to load). A non-zero exit status of vitest itself
// (the 4th argument) with no failed test, such as a coverage floor not met, counts as one
// failure, so the line never says 0 failed for a run that failed.
import { existsSync, readFileSync } from 'node:fs';

const file = process.argv[2] ?? '.data/vitest-report.json';
const extraFile = process.argv[3];
const vitestStatus = Number(process.argv[4] ?? 0);
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
const runFailed = vitestStatus !== 0 && failed === 0 ? 1 : 0;
if (runFailed)
  process.stderr.write(`test-summary: vitest exited ${vitestStatus} with no failed test (a coverage floor?)\n`);
const passed = report.numPassedTests + (extraPassed ?? 0);
const skipped = report.numPendingTests;
process.stdout.write(`${passed} passed, ${failed + runFailed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(failed + runFailed > 0 || report.numTotalTests === 0 ? 1 : 0);
