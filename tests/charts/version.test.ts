// One version, from the root package.json: the workspaces, package-lock.json and every
// chart (version, appVersion, the umbrella's and the service charts' file:// dependencies,
// Chart.lock) carry it; scripts/version.ts --set stamps it and --check (which the release
// workflow runs against the pushed tag) finds any place that disagrees.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { helm, parseManifests, ROOT } from './lib/helm.ts';

const CHARTS = ['patient-common', 'patient-api', 'patient-rpc', 'patient-mesh'];
const APPLICATION_CHARTS = ['patient-api', 'patient-rpc', 'patient-mesh'];
const WORKSPACES = ['services/contract', 'services/runtime', 'services/patient-api', 'services/patient-rpc'];

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'pm-version-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const helmEnv = () => ({
  ...process.env,
  HELM: helm(),
  HELM_CACHE_HOME: join(work, 'helm-cache'),
  HELM_CONFIG_HOME: join(work, 'helm-config'),
  HELM_DATA_HOME: join(work, 'helm-data'),
});

function versionScript(root: string, args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'version.ts'), '--root', root, ...args], {
    encoding: 'utf8',
    env: helmEnv(),
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function helmIn(args: string[]) {
  return spawnSync(helm(), args, { encoding: 'utf8', env: helmEnv(), maxBuffer: 64 * 1024 * 1024 });
}

/** The files that carry the version, copied from the work tree (charts without what helm built). */
function copyRepository(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir);
  for (const file of ['package.json', 'package-lock.json', ...WORKSPACES.map((w) => `${w}/package.json`)])
    cpSync(join(ROOT, file), join(dir, file));
  const source = join(ROOT, 'charts');
  cpSync(source, join(dir, 'charts'), {
    recursive: true,
    filter: (src) => !/^[^/]+\/(charts(\/|$)|Chart\.lock$)/.test(relative(source, src)),
  });
  return dir;
}

const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, any>;

/** Every version a release ships, read with a YAML parser (not the script's own reader). */
function shipped(root: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const w of ['.', ...WORKSPACES]) {
    const pkg = readJson(join(root, w, 'package.json'));
    found[`${w}/package.json version`] = pkg['version'];
    for (const [dep, range] of Object.entries((pkg['dependencies'] ?? {}) as Record<string, string>))
      if (dep.startsWith('@patient-mesh/')) found[`${w}/package.json ${dep}`] = range.replace(/^\^/, '');
  }
  const lock = readJson(join(root, 'package-lock.json'));
  found['package-lock.json version'] = lock['version'];
  for (const w of ['', ...WORKSPACES]) found[`package-lock.json packages["${w}"]`] = lock['packages'][w].version;
  for (const chart of CHARTS) {
    const meta = parse(readFileSync(join(root, 'charts', chart, 'Chart.yaml'), 'utf8')) as Record<string, any>;
    found[`${chart}/Chart.yaml version`] = meta['version'];
    if (APPLICATION_CHARTS.includes(chart)) found[`${chart}/Chart.yaml appVersion`] = String(meta['appVersion']);
    for (const dep of (meta['dependencies'] ?? []) as Array<Record<string, string>>)
      found[`${chart}/Chart.yaml dependency ${dep['name']}`] = dep['version']!;
  }
  return found;
}

describe('the repository carries one version', () => {
  it('every package.json, the lockfile and every Chart.yaml say the root package.json "version"', () => {
    const version = readJson(join(ROOT, 'package.json'))['version'] as string;
    const all = shipped(ROOT);
    expect(Object.keys(all).length).toBeGreaterThanOrEqual(20);
    expect(all).toEqual(Object.fromEntries(Object.keys(all).map((k) => [k, version])));
  });

  it('version.ts --check agrees, and accepts the tag v<version> only', () => {
    const version = readJson(join(ROOT, 'package.json'))['version'] as string;
    const copy = copyRepository('check');
    const ok = versionScript(copy, ['--check', '--tag', `v${version}`]);
    expect(ok.status, ok.stderr).toBe(0);
    const wrongTag = versionScript(copy, ['--check', '--tag', 'v99.0.0']);
    expect(wrongTag.status).toBe(1);
    expect(wrongTag.stderr).toContain(`tag v99.0.0 is not v${version}`);
  });
});

describe('version.ts --set X.Y.Z on a copy of the repository', () => {
  let copy: string;
  beforeAll(() => {
    copy = copyRepository('set');
    // Locks as a developer's `helm dependency build` (or kind-up) left them, at the old version.
    for (const chart of ['patient-api', 'patient-rpc', 'patient-mesh']) {
      const r = helmIn(['dependency', 'build', join(copy, 'charts', chart)]);
      expect(r.status, r.stderr).toBe(0);
    }
    const set = versionScript(copy, ['--set', '9.8.7']);
    expect(set.status, set.stderr).toBe(0);
  });

  it('stamps every site, and --check then passes', () => {
    const all = shipped(copy);
    expect(all).toEqual(Object.fromEntries(Object.keys(all).map((k) => [k, '9.8.7'])));
    const lock = readJson(join(copy, 'package-lock.json'));
    for (const w of WORKSPACES.slice(1))
      expect(lock['packages'][w].dependencies['@patient-mesh/contract'], w).toBe('^9.8.7');
    for (const w of WORKSPACES.slice(2))
      expect(lock['packages'][w].dependencies['@patient-mesh/runtime'], w).toBe('^9.8.7');
    expect(versionScript(copy, ['--check', '--tag', 'v9.8.7']).status).toBe(0);
  });

  it('rebuilds the Chart.locks: helm dependency build accepts them, and they name the new versions', () => {
    for (const chart of ['patient-api', 'patient-rpc', 'patient-mesh']) {
      const lock = parse(readFileSync(join(copy, 'charts', chart, 'Chart.lock'), 'utf8')) as Record<string, any>;
      expect((lock['dependencies'] as Array<{ version: string }>).map((d) => d.version)).toEqual(
        chart === 'patient-mesh' ? ['9.8.7', '9.8.7'] : ['9.8.7'],
      );
      const build = helmIn(['dependency', 'build', join(copy, 'charts', chart)]);
      expect(build.status, build.stderr).toBe(0);
    }
  });

  it('a plain install of the umbrella then runs the images of that version', () => {
    // Offline, helm cannot look up the bundled PostgreSQL's generated password: give it one.
    const r = helmIn([
      'template',
      'pm',
      join(copy, 'charts', 'patient-mesh'),
      '--namespace',
      'patient-mesh',
      '--set-string',
      'postgresql.auth.password=rendered-offline',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const images = parseManifests(r.stdout)
      .filter((o) => o.kind === 'Deployment')
      .flatMap((d: any) => (d.spec.template.spec.containers as Array<{ image: string }>).map((c) => c.image));
    expect(images.sort()).toEqual(['ghcr.io/patient-mesh/patient-api:9.8.7', 'ghcr.io/patient-mesh/patient-rpc:9.8.7']);
  });

  it('--check names the file and key of a site that disagrees', () => {
    const file = join(copy, 'charts', 'patient-rpc', 'Chart.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace("appVersion: '9.8.7'", "appVersion: '9.8.6'"));
    const r = versionScript(copy, ['--check']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('charts/patient-rpc/Chart.yaml: appVersion is "9.8.6", want "9.8.7"');
  });

  it('refuses a version that is not X.Y.Z', () => {
    const r = versionScript(copy, ['--set', 'v1.2']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('--set v1.2: not a semantic version');
  });
});
