// The charts `make kind-up` installs next to patient-mesh (kube-prometheus-stack, jaeger),
// found as packaged charts and rendered by the real helm with the values kind-up passes,
// so contract tests can hold the project's objects against what those charts really make.
//
// How kind-up installs each one (release, namespace, version, values files) is read from
// scripts/kind-up.sh and k8s/observability/versions.env, the one place it is written.
// The packages: ../shared/upstream-charts/<chart>-<version>.tgz next to the repository (the
// offline machines' copy), else .tools/upstream-charts/ (an earlier pull), else `helm pull`
// from the repository kind-up adds; when that fails too the caller gets a reason to skip.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT, parseManifests, run, type K8sObject } from './helm.ts';
import type { ConfigMap } from './manifests.ts';

export const SHARED_CHARTS = join(ROOT, '..', 'shared', 'upstream-charts');
export const PULLED_CHARTS = join(ROOT, '.tools', 'upstream-charts');

/** k8s/observability/versions.env as a map. */
export const versions: Record<string, string> = Object.fromEntries(
  readFileSync(join(ROOT, 'k8s', 'observability', 'versions.env'), 'utf8')
    .split('\n')
    .filter((l) => /^[A-Z_]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);

export interface KindUpInstall {
  chart: string;
  release: string;
  namespace: string;
  version: string;
  repoUrl: string;
  /** Relative to the repository root. */
  valuesFiles: string[];
}

/** The `helm upgrade --install` of `chart` in scripts/kind-up.sh, its variables resolved. */
export function kindUpInstall(chart: 'kube-prometheus-stack' | 'jaeger'): KindUpInstall {
  const script = readFileSync(join(ROOT, 'scripts', 'kind-up.sh'), 'utf8').replace(/\\\n\s*/g, ' ');
  const expand = (word: string): string =>
    word.replace(/^"|"$/g, '').replace(/\$\{?([A-Z_]+)\}?/g, (_, name: string) => {
      if (name === 'ROOT') return ROOT;
      const value = versions[name];
      if (value === undefined) throw new Error(`kind-up.sh: ${name} is not in versions.env`);
      return value;
    });
  const line = script.split('\n').find((l) => new RegExp(`"\\$HELM" upgrade --install \\S+ \\S+/${chart}\\s`).test(l));
  if (!line) throw new Error(`kind-up.sh installs no ${chart}`);
  const words = line.trim().split(/\s+/);
  const [release, ref] = words.slice(3, 5) as [string, string];
  const flag = (name: string): string[] =>
    words.flatMap((w, i) => (w === name && words[i + 1] ? [expand(words[i + 1]!)] : []));
  const repoName = ref.slice(0, ref.indexOf('/'));
  const repoAdd = new RegExp(`"\\$HELM" repo add ${repoName} (\\S+)`).exec(script);
  if (!repoAdd) throw new Error(`kind-up.sh adds no helm repository ${repoName}`);
  return {
    chart,
    release: expand(release),
    namespace: flag('--namespace')[0]!,
    version: flag('--version')[0]!,
    repoUrl: expand(repoAdd[1]!),
    valuesFiles: flag('-f').map((f) => f.slice(ROOT.length + 1)),
  };
}

/** A variable's default in scripts/kind-up.sh (`NAME="${NAME:-default}"`). */
export function kindUpDefault(name: string): string {
  const script = readFileSync(join(ROOT, 'scripts', 'kind-up.sh'), 'utf8');
  const found = new RegExp(`^${name}="\\$\\{${name}:-([^}]*)\\}"$`, 'm').exec(script);
  if (!found) throw new Error(`kind-up.sh has no default for ${name}`);
  return found[1]!;
}

/** group/version of every served version of the CRDs a packaged chart carries (`helm show crds`). */
export function servedApiVersions(path: string): string[] {
  const result = run(['show', 'crds', path]);
  if (result.status !== 0) throw new Error(`helm show crds ${path} failed:\n${result.stderr}`);
  const crds = parseManifests(result.stdout).filter((o) => o.kind === 'CustomResourceDefinition') as Array<
    K8sObject & { spec: { group: string; versions: Array<{ name: string; served: boolean }> } }
  >;
  return [
    ...new Set(crds.flatMap((c) => c.spec.versions.filter((v) => v.served).map((v) => `${c.spec.group}/${v.name}`))),
  ];
}

export type Located = { path: string; missing?: undefined } | { path?: undefined; missing: string };

export interface LocateOptions {
  /** Where packaged charts are looked for, in order. */
  dirs?: string[];
  /** Where a pulled chart is kept. */
  pullTo?: string;
  /** The repository to pull from (default: the one kind-up adds). */
  repoUrl?: string;
}

/** The packaged chart kind-up installs, or why there is none. */
export function upstreamChart(install: KindUpInstall, options: LocateOptions = {}): Located {
  const file = `${install.chart}-${install.version}.tgz`;
  const dirs = options.dirs ?? [SHARED_CHARTS, PULLED_CHARTS];
  for (const dir of dirs) if (existsSync(join(dir, file))) return { path: join(dir, file) };
  const pullTo = options.pullTo ?? PULLED_CHARTS;
  const repoUrl = options.repoUrl ?? install.repoUrl;
  // Pulled into a directory of its own and then moved: a reader never sees half a file.
  mkdirSync(pullTo, { recursive: true });
  const staging = mkdtempSync(join(pullTo, '.pull-'));
  try {
    const pull = run(
      ['pull', install.chart, '--repo', repoUrl, '--version', install.version, '--destination', staging],
      120_000,
    );
    if (pull.status === 0 && readdirSync(staging).includes(file)) {
      renameSync(join(staging, file), join(pullTo, file));
      return { path: join(pullTo, file) };
    }
    const why = pull.stderr.trim().split('\n').pop() ?? `exit ${pull.status}`;
    return {
      missing:
        `${file} is not in ${dirs.join(' or ')}, and \`helm pull ${install.chart} --repo ${repoUrl} ` +
        `--version ${install.version}\` failed (${why})`,
    };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

export interface UpstreamRender {
  release: string;
  namespace: string;
  valuesFiles?: string[];
  values?: Record<string, unknown>;
}

let valuesDir: string | undefined;

/** `helm template` of a packaged chart; objects without a namespace get the release's. */
export function renderUpstream(path: string, options: UpstreamRender): K8sObject[] {
  const args = ['template', options.release, path, '--namespace', options.namespace];
  for (const file of options.valuesFiles ?? []) args.push('-f', join(ROOT, file));
  if (options.values) {
    valuesDir ??= mkdtempSync(join(tmpdir(), 'pm-upstream-'));
    const file = join(valuesDir, `values-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(options.values));
    args.push('-f', file);
  }
  const result = run(args);
  if (result.status !== 0) throw new Error(`helm template ${path} failed:\n${result.stderr}`);
  return parseManifests(result.stdout).map((o) => ({
    ...o,
    metadata: { ...o.metadata, namespace: o.metadata.namespace ?? options.namespace },
  }));
}

/** The kind-up install of `chart`, rendered; `values` go over kind-up's values files. */
export function renderAsKindUp(path: string, install: KindUpInstall, values?: Record<string, unknown>): K8sObject[] {
  return renderUpstream(path, {
    release: install.release,
    namespace: install.namespace,
    valuesFiles: install.valuesFiles,
    ...(values ? { values } : {}),
  });
}

// ---------------------------------------------------------------- Grafana's sidecars

interface EnvVar {
  name: string;
  value?: string;
}

interface PodOwner extends K8sObject {
  spec: {
    template: {
      spec: {
        containers: Array<{ name: string; env?: EnvVar[] }>;
        initContainers?: Array<{ name: string; env?: EnvVar[] }>;
      };
    };
  };
}

/**
 * What a Grafana sidecar (kiwigrid k8s-sidecar, as the grafana chart's templates/_pod.tpl
 * configures it) loads: ConfigMaps labelled LABEL (with LABEL_VALUE, when set) in NAMESPACE
 * ("ALL", a comma-separated list, or unset: the pod's own namespace); RESOURCE configmap,
 * secret or both.
 */
export interface Sidecar {
  namespace: string;
  label: string;
  labelValue?: string;
  namespaces: 'ALL' | string[];
  resource: string;
  folderAnnotation?: string;
}

export function grafanaSidecar(objects: K8sObject[], container: string): Sidecar {
  for (const d of objects.filter((o) => o.kind === 'Deployment') as PodOwner[]) {
    const pod = d.spec.template.spec;
    const c = [...pod.containers, ...(pod.initContainers ?? [])].find((x) => x.name === container);
    if (!c) continue;
    const env = (name: string): string | undefined => c.env?.find((e) => e.name === name)?.value;
    const namespaces = env('NAMESPACE');
    const labelValue = env('LABEL_VALUE');
    const folderAnnotation = env('FOLDER_ANNOTATION');
    return {
      namespace: d.metadata.namespace!,
      label: env('LABEL')!,
      ...(labelValue !== undefined ? { labelValue } : {}),
      namespaces:
        namespaces === undefined
          ? [d.metadata.namespace!]
          : namespaces === 'ALL'
            ? 'ALL'
            : namespaces.split(',').map((n) => n.trim()),
      resource: env('RESOURCE') ?? 'configmap',
      ...(folderAnnotation !== undefined ? { folderAnnotation } : {}),
    };
  }
  throw new Error(`no Deployment runs a container ${container}`);
}

/** Does the sidecar load this ConfigMap, living in `namespace`? */
export function sidecarLoads(sidecar: Sidecar, cm: K8sObject, namespace: string): boolean {
  if (!['configmap', 'both'].includes(sidecar.resource)) return false;
  if (sidecar.namespaces !== 'ALL' && !sidecar.namespaces.includes(namespace)) return false;
  const value = cm.metadata.labels?.[sidecar.label];
  return value !== undefined && (sidecar.labelValue === undefined || value === sidecar.labelValue);
}

export interface Datasource {
  name: string;
  type: string;
  uid?: string;
  url?: string;
  isDefault?: boolean;
  jsonData?: { exemplarTraceIdDestinations?: Array<{ datasourceUid?: string; name: string; url?: string }> };
}

/** The datasources Grafana provisions: every datasource file the datasources sidecar loads. */
export function provisionedDatasources(objects: K8sObject[]): Datasource[] {
  const sidecar = grafanaSidecar(objects, 'grafana-sc-datasources');
  return (objects.filter((o) => o.kind === 'ConfigMap') as ConfigMap[])
    .filter((cm) => sidecarLoads(sidecar, cm, cm.metadata.namespace!))
    .flatMap((cm) => Object.values(cm.data))
    .flatMap((text) => (parse(text) as { datasources?: Datasource[] }).datasources ?? []);
}

// ---------------------------------------------------------------- Alertmanager

interface Matchers {
  matchers?: string[];
  source_matchers?: string[];
  target_matchers?: string[];
  match?: Record<string, string>;
  match_re?: Record<string, string>;
  source_match?: Record<string, string>;
  target_match?: Record<string, string>;
  source_match_re?: Record<string, string>;
  target_match_re?: Record<string, string>;
}

interface Route extends Matchers {
  routes?: Route[];
}

export interface AlertmanagerConfig {
  route: Route;
  inhibit_rules?: Matchers[];
}

/** alertmanager.yaml of the Secret the chart renders for its Alertmanager. */
export function alertmanagerConfig(objects: K8sObject[]): AlertmanagerConfig {
  const secret = objects.find(
    (o) => o.kind === 'Secret' && (o as { data?: Record<string, string> }).data?.['alertmanager.yaml'],
  ) as (K8sObject & { data: Record<string, string> }) | undefined;
  if (!secret) throw new Error('no Secret with alertmanager.yaml rendered');
  return parse(Buffer.from(secret.data['alertmanager.yaml']!, 'base64').toString('utf8')) as AlertmanagerConfig;
}

/**
 * Every value of `label` that a route or an inhibit rule of `config` matches on: equality
 * and regex matchers (`severity = critical`, `severity =~ "warning|info"`), new and legacy
 * syntax. Regexes are taken as alternatives of plain values, which is what they are there.
 */
export function matchedValues(config: AlertmanagerConfig, label: string): Set<string> {
  const values = new Set<string>();
  const add = (op: string, value: string) => {
    const plain = value.replace(/^"|"$/g, '');
    for (const v of op === '=~' ? plain.split('|') : [plain]) values.add(v);
  };
  const visit = (m: Matchers) => {
    for (const list of [m.matchers, m.source_matchers, m.target_matchers])
      for (const matcher of list ?? []) {
        const parsed = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$/.exec(matcher);
        if (parsed && parsed[1] === label && (parsed[2] === '=' || parsed[2] === '=~')) add(parsed[2], parsed[3]!);
      }
    for (const map of [m.match, m.source_match, m.target_match]) if (map?.[label]) add('=', map[label]);
    for (const map of [m.match_re, m.source_match_re, m.target_match_re]) if (map?.[label]) add('=~', map[label]);
  };
  const walk = (r: Route) => {
    visit(r);
    for (const child of r.routes ?? []) walk(child);
  };
  walk(config.route);
  for (const rule of config.inhibit_rules ?? []) visit(rule);
  return values;
}
