// The release version has one source: the root package.json "version". Everything else that
// carries it is stamped from there:
//   - the workspaces' package.json "version", and their ranges on each other (@patient-mesh/*),
//   - package-lock.json (the root's and the workspaces' entries, so `npm ci` stays consistent),
//   - every charts/*/Chart.yaml: version, appVersion, the versions of its file:// dependencies,
//   - every charts/*/Chart.lock: rebuilt with `helm dependency update` (its digest covers
//     the dependency versions, and `helm dependency build` refuses a lock that is out of sync).
//
//   node scripts/version.ts --check [--tag vX.Y.Z]   fails, naming file and key, on any disagreement
//                                                     (and, with --tag, when the tag is not v<version>)
//   node scripts/version.ts --set X.Y.Z              stamps X.Y.Z everywhere, then checks
//   node scripts/version.ts                          prints the version
//   --root DIR   another copy of the repository (default: this one)
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const SCRIPTS = import.meta.dirname;
const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;
/** Charts whose lock helm rebuilds; the library and the service charts before the umbrella that packages them. */
const LOCK_ORDER = ['patient-common', 'patient-api', 'patient-rpc', 'patient-mesh'];

/** One place where a version is written: the file, the key in it, what it holds. */
interface VersionSite {
  file: string;
  key: string;
  value: string;
}

interface PackageJson {
  version?: string;
  workspaces?: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

interface ChartLine {
  /** Index of the line in the file. */
  line: number;
  key: string;
  value: string;
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;
const writeJson = (file: string, value: unknown): void => writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
const unquote = (s: string): string => s.trim().replace(/^(['"])(.*)\1$/, '$2');

/** The version every other site must carry. */
function sourceVersion(root: string): string {
  const version = readJson<PackageJson>(join(root, 'package.json')).version;
  if (!version || !SEMVER.test(version))
    throw new Error(`package.json: "version" is ${JSON.stringify(version)}, not a semantic version`);
  return version;
}

function workspaceDirs(root: string): string[] {
  return readJson<PackageJson>(join(root, 'package.json')).workspaces ?? [];
}

function chartDirs(root: string): string[] {
  const charts = join(root, 'charts');
  return readdirSync(charts, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(charts, e.name, 'Chart.yaml')))
    .map((e) => e.name)
    .sort((a, b) => LOCK_ORDER.indexOf(a) - LOCK_ORDER.indexOf(b));
}

/**
 * The version lines of a Chart.yaml or Chart.lock: top-level `version` and `appVersion`, and
 * `dependencies[<name>].version` of the dependencies at file:// paths (the project's own
 * charts; a dependency from a chart repository keeps its own version). Read line by line so
 * a stamp changes those values and nothing else in the file (comments, quoting, order).
 */
function chartLines(text: string): ChartLine[] {
  const lines = text.split('\n');
  const found: ChartLine[] = [];
  let inDependencies = false;
  let item: { name?: string; repository?: string; version?: ChartLine } | undefined;
  const flush = () => {
    if (item?.version && item.repository?.startsWith('file://'))
      found.push({ ...item.version, key: `dependencies[${item.name ?? '?'}].version` });
    item = undefined;
  };
  lines.forEach((raw, line) => {
    const top = /^([A-Za-z][\w-]*):\s*(.*)$/.exec(raw);
    if (top) {
      flush();
      inDependencies = top[1] === 'dependencies';
      if (top[1] === 'version' || top[1] === 'appVersion') found.push({ line, key: top[1], value: unquote(top[2]!) });
      return;
    }
    if (!inDependencies) return;
    const entry = /^\s*(- )?\s*(name|repository|version):\s*(.*)$/.exec(raw);
    if (entry?.[1]) {
      flush();
      item = {};
    }
    if (!entry || !item) return;
    const value = unquote(entry[3]!);
    if (entry[2] === 'name') item.name = value;
    else if (entry[2] === 'repository') item.repository = value;
    else item.version = { line, key: 'version', value };
  });
  flush();
  return found;
}

/** Every place the version is written, with what it holds now. */
function versionSites(root: string): VersionSite[] {
  const sites: VersionSite[] = [];
  const rel = (file: string) => relative(root, file);
  const packages = ['.', ...workspaceDirs(root)].map((dir) => join(root, dir, 'package.json'));
  const names = new Set(packages.map((file) => (readJson<{ name: string }>(file).name ?? '').trim()));
  for (const file of packages) {
    const pkg = readJson<PackageJson>(file);
    sites.push({ file: rel(file), key: 'version', value: pkg.version ?? '' });
    for (const [field, deps] of Object.entries({
      dependencies: pkg.dependencies,
      devDependencies: pkg.devDependencies,
    }))
      for (const [name, range] of Object.entries(deps ?? {}))
        if (names.has(name))
          sites.push({ file: rel(file), key: `${field}["${name}"]`, value: range.replace(/^\^/, '') });
  }
  const lockFile = join(root, 'package-lock.json');
  const lock = readJson<{ version?: string; packages: Record<string, PackageJson> }>(lockFile);
  sites.push({ file: rel(lockFile), key: 'version', value: lock.version ?? '' });
  for (const dir of ['', ...workspaceDirs(root)]) {
    const entry = lock.packages[dir];
    sites.push({ file: rel(lockFile), key: `packages["${dir}"].version`, value: entry?.version ?? '' });
    for (const [name, range] of Object.entries(entry?.dependencies ?? {}))
      if (names.has(name))
        sites.push({
          file: rel(lockFile),
          key: `packages["${dir}"].dependencies["${name}"]`,
          value: range.replace(/^\^/, ''),
        });
  }
  for (const chart of chartDirs(root))
    for (const name of ['Chart.yaml', 'Chart.lock']) {
      const file = join(root, 'charts', chart, name);
      if (!existsSync(file)) continue;
      for (const { key, value } of chartLines(readFileSync(file, 'utf8'))) sites.push({ file: rel(file), key, value });
    }
  return sites;
}

/** The sites that disagree with the source version, one line each: "file: key is X, want Y". */
function disagreements(root: string): string[] {
  const want = sourceVersion(root);
  return versionSites(root)
    .filter((site) => site.value !== want)
    .map(
      (site) => `${site.file}: ${site.key} is ${JSON.stringify(site.value)}, want "${want}" (package.json "version")`,
    );
}

function helmBinary(): string {
  return execFileSync('bash', [join(SCRIPTS, 'tools', 'helm.sh')], { encoding: 'utf8' }).trim();
}

/** Writes `version` into package.json and every site derived from it; rebuilds the Chart.locks. */
function setVersion(root: string, version: string, helm: string = helmBinary()): void {
  if (!SEMVER.test(version)) throw new Error(`--set ${version}: not a semantic version (X.Y.Z)`);
  const packages = ['.', ...workspaceDirs(root)].map((dir) => join(root, dir, 'package.json'));
  const names = new Set(packages.map((file) => readJson<{ name: string }>(file).name));
  const stampRanges = (deps: Record<string, string> | undefined) => {
    for (const name of Object.keys(deps ?? {})) if (names.has(name)) deps![name] = `^${version}`;
  };
  for (const file of packages) {
    const pkg = readJson<PackageJson>(file);
    pkg.version = version;
    stampRanges(pkg.dependencies);
    stampRanges(pkg.devDependencies);
    writeJson(file, pkg);
  }
  const lockFile = join(root, 'package-lock.json');
  const lock = readJson<{ version?: string; packages: Record<string, PackageJson> }>(lockFile);
  lock.version = version;
  for (const dir of ['', ...workspaceDirs(root)]) {
    const entry = lock.packages[dir];
    if (!entry) throw new Error(`package-lock.json: no packages["${dir}"]: run npm install first`);
    entry.version = version;
    stampRanges(entry.dependencies);
    stampRanges(entry.devDependencies);
  }
  writeJson(lockFile, lock);

  for (const chart of chartDirs(root)) {
    const file = join(root, 'charts', chart, 'Chart.yaml');
    const lines = readFileSync(file, 'utf8').split('\n');
    for (const { line, value } of chartLines(lines.join('\n'))) lines[line] = lines[line]!.replace(value, version);
    writeFileSync(file, lines.join('\n'));
  }
  // helm writes the lock (versions and digest) and packages the dependencies into charts/.
  const env = { ...process.env, HELM_CACHE_HOME: join(root, '.tools', 'helm-cache') };
  for (const chart of chartDirs(root)) {
    if (!existsSync(join(root, 'charts', chart, 'Chart.lock'))) continue;
    execFileSync(helm, ['dependency', 'update', '--skip-refresh', join(root, 'charts', chart)], {
      env,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
}

function main(): void {
  const { values } = parseArgs({
    options: {
      check: { type: 'boolean', default: false },
      set: { type: 'string' },
      tag: { type: 'string' },
      root: { type: 'string' },
    },
  });
  const root = resolve(values.root ?? join(SCRIPTS, '..'));
  if (values.set !== undefined) {
    setVersion(root, values.set);
    process.stdout.write(`version: ${values.set} stamped\n`);
  }
  const version = sourceVersion(root);
  if (!values.check && values.set === undefined) {
    process.stdout.write(`${version}\n`);
    return;
  }
  const problems = disagreements(root);
  if (values.tag !== undefined && values.tag !== `v${version}`)
    problems.unshift(`tag ${values.tag} is not v${version}, the version in package.json "version"`);
  if (problems.length > 0) {
    process.stderr.write(`version: ${problems.length} disagreement(s):\n${problems.map((p) => `  ${p}\n`).join('')}`);
    process.stderr.write('version: stamp them with `node scripts/version.ts --set <version>`\n');
    process.exit(1);
  }
  process.stdout.write(
    `version: ${version} in package.json and the ${versionSites(root).length} places stamped from it\n`,
  );
}

try {
  main();
} catch (error) {
  process.stderr.write(`version: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
