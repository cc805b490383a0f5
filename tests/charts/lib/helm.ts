// Runs the real helm binary (scripts/tools/helm.sh finds or fetches it) over a private
// copy of charts/, so tests never write into the work tree and test files can run in
// parallel. The file:// dependencies (the patient-common library in each service chart,
// the service charts in the umbrella) are built offline in that copy, in that order.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const ROOT = resolve(import.meta.dirname, '..', '..', '..');

export type Chart = 'patient-api' | 'patient-rpc' | 'patient-mesh';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

export interface RenderOptions {
  /** Values merged over the chart's values.yaml (written to a file and passed with -f). */
  values?: Record<string, unknown>;
  /** Extra values files (paths relative to the repo root). */
  valuesFiles?: string[];
  /** --kube-version, e.g. "1.29". */
  kubeVersion?: string;
  /** --api-versions, e.g. ["monitoring.coreos.com/v1"]. */
  apiVersions?: string[];
  release?: string;
  namespace?: string;
  /**
   * patient-mesh only: pass values/credentials.yaml (the bundled PostgreSQL's password, which
   * the chart requires) before the other values files. Default true; false renders without.
   */
  credentials?: boolean;
  /** Render this directory instead of the chart's private copy (e.g. from editedChart). */
  chartDir?: string;
  /** --skip-schema-validation: reach the template guards behind a values.schema.json refusal. */
  skipSchemaValidation?: boolean;
}

/** The values file every umbrella render gets first unless `credentials: false`. */
export const CREDENTIALS_FILE = 'tests/charts/values/credentials.yaml';

function credentialArgs(chart: Chart, options: RenderOptions): string[] {
  return chart === 'patient-mesh' && options.credentials !== false ? ['-f', join(ROOT, CREDENTIALS_FILE)] : [];
}

export interface HelmResult {
  status: number;
  stdout: string;
  stderr: string;
}

let workdir: string | undefined;
let helmPath: string | undefined;

function env(): NodeJS.ProcessEnv {
  const dir = workspace();
  return {
    ...process.env,
    HELM_CACHE_HOME: join(dir, 'helm-cache'),
    HELM_CONFIG_HOME: join(dir, 'helm-config'),
    HELM_DATA_HOME: join(dir, 'helm-data'),
  };
}

function workspace(): string {
  workdir ??= mkdtempSync(join(tmpdir(), 'pm-charts-'));
  return workdir;
}

/** Path of the pinned helm binary (fetched into .tools/bin on first use). */
export function helm(): string {
  // The pinned helm (v4.1.4), whatever is on PATH: schema error texts differ between versions.
  helmPath ??= execFileSync('bash', [join(ROOT, 'scripts', 'tools', 'helm.sh'), '--pinned'], {
    encoding: 'utf8',
  }).trim();
  return helmPath;
}

let chartsDir: string | undefined;

/** A private copy of charts/ with every chart's dependencies built. */
export function charts(): string {
  if (chartsDir) return chartsDir;
  const dir = join(workspace(), 'charts');
  const source = join(ROOT, 'charts');
  // Leave out what a local `helm dependency build` left behind (<chart>/charts, Chart.lock).
  cpSync(source, dir, {
    recursive: true,
    filter: (src) => !/^[^/]+\/(charts(\/|$)|Chart\.lock$)/.test(relative(source, src)),
  });
  // A chart is packaged into its parent with its own charts/ as built: libraries first.
  for (const chart of ['patient-api', 'patient-rpc', 'patient-mesh']) {
    const build = run(['dependency', 'build', join(dir, chart)]);
    if (build.status !== 0) throw new Error(`helm dependency build ${chart} failed:\n${build.stderr}`);
  }
  chartsDir = dir;
  return dir;
}

let editedCount = 0;

/**
 * A copy of `chart` as built (its dependencies included) that `edit` changes in place, to
 * render with `chartDir`: for guards on what a chart ships rather than on values.
 */
export function editedChart(chart: Chart, edit: (dir: string) => void): string {
  const dir = join(workspace(), `edited-${process.pid}-${editedCount++}`, chart);
  cpSync(join(charts(), chart), dir, { recursive: true });
  edit(dir);
  return dir;
}

/** helm with `args`; `timeoutMs` ends a call that would hang (e.g. `helm pull` with no network). */
export function run(args: string[], timeoutMs?: number): HelmResult {
  const result = spawnSync(helm(), args, {
    encoding: 'utf8',
    env: env(),
    maxBuffer: 64 * 1024 * 1024,
    ...(timeoutMs ? { timeout: timeoutMs } : {}),
  });
  const stderr = result.error ? `${result.stderr ?? ''}${result.error.message}` : result.stderr;
  return { status: result.status ?? -1, stdout: result.stdout, stderr };
}

let valuesFileCount = 0;

function templateArgs(chart: Chart, options: RenderOptions, extra: string[] = []): string[] {
  const args = [
    'template',
    options.release ?? 'pm',
    options.chartDir ?? join(charts(), chart),
    '--namespace',
    options.namespace ?? 'patient-mesh',
    ...extra,
    ...credentialArgs(chart, options),
  ];
  if (options.skipSchemaValidation) args.push('--skip-schema-validation');
  for (const file of options.valuesFiles ?? []) args.push('-f', join(ROOT, file));
  if (options.values) {
    const file = join(workspace(), `values-${process.pid}-${valuesFileCount++}.json`);
    writeFileSync(file, JSON.stringify(options.values));
    args.push('-f', file);
  }
  if (options.kubeVersion) args.push('--kube-version', options.kubeVersion);
  for (const api of options.apiVersions ?? []) args.push('--api-versions', api);
  return args;
}

/** `helm template` output parsed into objects; throws with helm's message on failure. */
export function render(chart: Chart, options: RenderOptions = {}): K8sObject[] {
  return parseManifests(renderText(chart, options));
}

/** `helm template` output as helm printed it; throws with helm's message on failure. */
export function renderText(chart: Chart, options: RenderOptions = {}): string {
  const result = run(templateArgs(chart, options));
  if (result.status !== 0) throw new Error(`helm template ${chart} failed:\n${result.stderr}`);
  return result.stdout;
}

/** `helm template` expected to fail: returns helm's error output. */
export function renderError(chart: Chart, options: RenderOptions = {}): string {
  const result = run(templateArgs(chart, options));
  if (result.status === 0) throw new Error(`helm template ${chart} unexpectedly succeeded`);
  return result.stderr;
}

/** NOTES.txt as `helm install` prints it (a client-side dry run: no cluster needed). */
export function notes(chart: Chart, options: RenderOptions = {}): string {
  const result = run(['install', ...templateArgs(chart, options, ['--dry-run=client']).slice(1)]);
  if (result.status !== 0) throw new Error(`helm install --dry-run ${chart} failed:\n${result.stderr}`);
  const at = result.stdout.indexOf('\nNOTES:\n');
  if (at < 0) throw new Error(`helm install --dry-run ${chart} printed no NOTES`);
  return result.stdout.slice(at + '\nNOTES:\n'.length);
}

export function lint(chart: Chart, options: RenderOptions = {}): HelmResult {
  const args = [
    'lint',
    '--strict',
    join(charts(), chart),
    '--namespace',
    options.namespace ?? 'patient-mesh',
    ...credentialArgs(chart, options),
  ];
  if (options.values) {
    const file = join(workspace(), `values-${process.pid}-${valuesFileCount++}.json`);
    writeFileSync(file, JSON.stringify(options.values));
    args.push('-f', file);
  }
  for (const file of options.valuesFiles ?? []) args.push('-f', join(ROOT, file));
  if (options.kubeVersion) args.push('--kube-version', options.kubeVersion);
  return run(args);
}

export function parseManifests(text: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`invalid YAML from helm: ${doc.errors[0]!.message}`);
    const value = doc.toJS() as K8sObject | null;
    if (value) objects.push(value);
  }
  return objects;
}
