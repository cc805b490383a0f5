// The PrometheusRule groups as helm renders them pass `promtool check rules`, and the
// promtool unit tests in tests/observability/rules make every alert fire and stay quiet.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ROOT, render } from './lib/helm.ts';
import { named } from './lib/manifests.ts';

const run = promisify(execFile);
const OPERATOR = ['monitoring.coreos.com/v1'];
const TESTS = join(ROOT, 'tests', 'observability', 'rules');
const dir = mkdtempSync(join(tmpdir(), 'pm-rules-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Prometheus rules (promtool)', () => {
  it.each(['patient-api', 'patient-rpc'] as const)(
    '%s: the rendered PrometheusRule passes promtool check rules',
    async (chart) => {
      const rule = named(render(chart, { apiVersions: OPERATOR }), 'PrometheusRule', `pm-${chart}`);
      const file = join(dir, `${chart}.rules.yaml`);
      writeFileSync(file, stringify(rule['spec']));
      const { stdout } = await run('promtool', ['check', 'rules', file]);
      expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
    },
  );

  it.each(readdirSync(TESTS).filter((f) => f.endsWith('.test.yaml')))('promtool test rules %s', async (file) => {
    const { stdout, stderr } = await run('promtool', ['test', 'rules', join(TESTS, file)]).catch(
      (error: { stdout: string; stderr: string }) => {
        throw new Error(`promtool test rules ${file} failed:\n${error.stdout}\n${error.stderr}`);
      },
    );
    expect(`${stdout}${stderr}`).toContain('SUCCESS');
  });
});
