// Patient data and credentials never reach the logs, proven on the real ones: every process
// the other suites started kept its whole output (tests/support/services.ts), and this
// suite, which runs after all of them, scans every line for what the tests put into the
// system: the synthetic patients' names, birth dates and subject codes, the names the
// suites create, and bearer tokens.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { SERVICE_LOG_DIR } from '../support/services.ts';

const FORBIDDEN: Array<[string, RegExp]> = [
  ['a bearer token (JWT)', /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\./],
  ['a synthetic subject code', /SYN-\d+-\d{4}/],
  ['a synthetic family name', /(Patient|Subject|Participant|Volunteer) \d{4}/],
  ['a date on its own, as birth dates are', /"\d{4}-\d{2}-\d{2}"/],
  ['a name the suites create', /Lovelace|"Obs"|S-OBS-|S-BAD-/],
];

it('finds no patient data and no token in any line any service printed', () => {
  let files: string[] = [];
  try {
    files = readdirSync(SERVICE_LOG_DIR);
  } catch {
    // none yet
  }
  expect(files.length, `no service output in ${SERVICE_LOG_DIR}: run the other suites first`).toBeGreaterThan(10);
  const hits: string[] = [];
  let lines = 0;
  for (const file of files) {
    for (const line of readFileSync(join(SERVICE_LOG_DIR, file), 'utf8').split('\n')) {
      lines++;
      for (const [what, pattern] of FORBIDDEN)
        if (pattern.test(line)) hits.push(`${file}: ${what}: ${line.slice(0, 300)}`);
    }
  }
  expect(lines).toBeGreaterThan(100);
  expect(hits).toEqual([]);
});
