// scripts/kind-up.sh and `make rollout-check`, run for real against stubs: docker, kind,
// kubectl and helm here are small scripts that record their arguments and print what
// kind-up reads back (lib/commandStubs.ts). There is no cluster: this proves what kind-up
// asks for and in which order, that a second run keeps the cluster and the keys, the image
// archive fallback, the kind version gate and how the token reaches rollout-check, not that
// a real cluster accepts any of it (the kind-e2e workflow does that).
// kind-up's state goes to temporary directories (PM_DEV_DIR, HOME, TMPDIR), never to .dev/.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type Call, line, readCalls, type StubBehaviour, writeStubs } from './lib/commandStubs.ts';
import { charts, parseManifests, ROOT, run as helmRun } from './lib/helm.ts';

const TAG = 'kindup-test';
const SERVICES = ['patient-api', 'patient-rpc'];
/** The charts' default registry (global.image.registry): where the release workflow publishes. */
const REGISTRY = 'ghcr.io/patient-mesh';
const imageOf = (svc: string, registry = REGISTRY) => `${registry}/${svc}:${TAG}`;
const AUDIT_SECRET = 'patient-mesh-audit-signing-key';
const versions = Object.fromEntries(
  readFileSync(join(ROOT, 'k8s', 'observability', 'versions.env'), 'utf8')
    .split('\n')
    .filter((l) => /^[A-Z_]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
) as Record<string, string>;

interface Exit {
  status: number;
  stdout: string;
  stderr: string;
}

/** Async: the fake API below answers from this process while a child runs. */
function exec(cmd: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd?: string }): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ status: code ?? (signal ? 128 : -1), stdout, stderr });
    });
  });
}

let base: string;
let runCount = 0;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'pm-kind-up-'));
});
afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

/** A machine: its own stub state (kind's clusters), dev directory and HOME. */
function machine(name: string) {
  const dir = join(base, name);
  const stubs = writeStubs(dir);
  const devDir = join(dir, 'dev');
  const home = join(dir, 'home');
  mkdirSync(home, { recursive: true });
  return { dir, stubs, devDir, home };
}
type Machine = ReturnType<typeof machine>;

interface KindUpRun extends Exit {
  calls: Call[];
  /** TMPDIR of the run: kind-up's work directory (and image archives) lived there. */
  tmp: string;
}

async function kindUp(m: Machine, behaviour: StubBehaviour & Record<string, string> = {}): Promise<KindUpRun> {
  const n = ++runCount;
  const log = join(m.dir, `calls-${n}.jsonl`);
  const tmp = join(m.dir, `tmp-${n}`);
  mkdirSync(tmp);
  const result = await exec('bash', [join(ROOT, 'scripts', 'kind-up.sh')], {
    cwd: ROOT,
    env: {
      PATH: `${m.stubs.bin}:${process.env['PATH']}`,
      HOME: m.home,
      TMPDIR: tmp,
      PM_DEV_DIR: m.devDir,
      IMAGE_TAG: TAG,
      STUB_LOG: log,
      STUB_STATE: m.stubs.state,
      ...behaviour,
    },
  });
  return { ...result, calls: readCalls(log), tmp };
}

/** Index of the first call whose command line starts with `prefix` (and passes `also`); fails if none. */
function at(calls: Call[], prefix: string, also: (c: Call) => boolean = () => true): number {
  const i = calls.findIndex((c) => line(c).startsWith(prefix) && also(c));
  expect(i, `no call starting with: ${prefix}\ncalls:\n${calls.map(line).join('\n')}`).toBeGreaterThanOrEqual(0);
  return i;
}

/** The value after `flag` in a call's argv, for every occurrence. */
const flagValues = (c: Call, flag: string): string[] => c.args.flatMap((a, i) => (a === flag ? [c.args[i + 1]!] : []));

/** Objects piped into `kubectl apply -f -`. */
function applied(calls: Call[]): Array<{ index: number; object: Record<string, any> }> {
  return calls.flatMap((c, index) =>
    c.cmd === 'kubectl' && c.stdin !== undefined ? [{ index, object: parse(c.stdin) as Record<string, any> }] : [],
  );
}

function appliedSecret(calls: Call[], name: string): { index: number; data: Record<string, string> } {
  const found = applied(calls).find((a) => a.object['kind'] === 'Secret' && a.object['metadata'].name === name);
  expect(found, `Secret ${name} applied`).toBeDefined();
  return { index: found!.index, data: found!.object['stringData'] as Record<string, string> };
}

const releaseCall = (calls: Call[]) =>
  calls[at(calls, `helm upgrade --install patient-mesh ${ROOT}/charts/patient-mesh`)]!;

/** `helm template` of a recorded `helm upgrade --install`, with its values files and --set* flags as given. */
function renderRelease(release: Call): string {
  const [, , name, , ...rest] = release.args;
  const args: string[] = [];
  for (let i = 0; i < rest.length; i++)
    if (['-f', '--set', '--set-string', '--set-file', '--namespace'].includes(rest[i]!))
      args.push(rest[i]!, rest[++i]!);
  const r = helmRun(['template', name!, join(charts(), 'patient-mesh'), ...args]);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

/** The images loaded into the kind nodes: `kind load docker-image` or the images in the archives saved for them. */
function loadedImages(calls: Call[]): string[] {
  const archives = new Map(
    calls
      .filter((c) => line(c).startsWith('docker image save') && c.status === undefined)
      .map((c) => [flagValues(c, '-o')[0]!, c.args.at(-1)!]),
  );
  return calls.flatMap((c) => {
    const l = line(c);
    if (l.startsWith('kind load docker-image') && c.status === undefined) return [c.args.at(-1)!];
    if (l.startsWith('kind load image-archive')) return [archives.get(c.args.at(-1)!)!];
    return [];
  });
}

/**
 * The images of every pod the release would run: the recorded `helm upgrade --install`, its
 * values files and --set flags as given, rendered by the real helm (`helm template`).
 */
function renderedPodImages(release: Call): string[] {
  const [upgrade, install, name, chart, ...rest] = release.args;
  expect([upgrade, install, chart]).toEqual(['upgrade', '--install', `${ROOT}/charts/patient-mesh`]);
  const kept: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i]!;
    if (['-f', '--set', '--set-string', '--set-file', '--namespace'].includes(flag)) kept.push(flag, rest[++i]!);
    else if (['--kube-context', '--timeout'].includes(flag)) i++;
    else expect(flag).toBe('--wait');
  }
  // Offline, helm cannot look up the bundled PostgreSQL's generated password: give it one.
  kept.push('--set-string', 'postgresql.auth.password=rendered-offline');
  const r = helmRun(['template', name!, join(charts(), 'patient-mesh'), ...kept]);
  expect(r.status, r.stderr).toBe(0);
  return parseManifests(r.stdout).flatMap((o: any) => {
    const pod = o.kind === 'Pod' ? o.spec : o.spec?.template?.spec;
    return pod ? [...(pod.initContainers ?? []), ...pod.containers].map((c: { image: string }) => c.image) : [];
  });
}

/** The rendered images that are the project's own (not the bundled PostgreSQL's). */
const ownImages = (images: string[]) => [...new Set(images.filter((i) => !i.includes('/postgres:')))].sort();

describe('kind-up against stubs: a new machine, then the same machine again', () => {
  let m: Machine;
  let first: KindUpRun;

  beforeAll(async () => {
    m = machine('laptop');
    first = await kindUp(m);
  });

  it('succeeds with a current kind and no warning', () => {
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).not.toMatch(/warning/);
    expect(first.stdout).toContain('patient-mesh is up');
  });

  it('cluster -> images built and loaded -> cert-manager -> issuers -> metrics-server -> namespace -> secrets -> release, waited for', () => {
    const c = first.calls;
    const cluster = at(c, `kind create cluster --name patient-mesh --config ${ROOT}/k8s/kind/cluster.yaml`);
    expect(c[cluster]!.args).toContain('--wait');
    let previous = cluster;
    for (const svc of SERVICES) {
      const build = at(c, `docker build --build-arg SERVICE=${svc} -t ${imageOf(svc)} -f ${ROOT}/Dockerfile`);
      const load = at(c, `kind load docker-image --name patient-mesh ${imageOf(svc)}`);
      expect(build).toBeGreaterThan(previous);
      expect(load).toBeGreaterThan(build);
      previous = load;
    }

    const certManager = at(c, 'helm upgrade --install cert-manager jetstack/cert-manager');
    expect(c[certManager]!.args).toEqual(
      expect.arrayContaining(['--version', versions['CERT_MANAGER_VERSION'], '--set', 'crds.enabled=true', '--wait']),
    );
    const issuers = at(c, `kubectl --context kind-patient-mesh apply -f ${ROOT}/k8s/cert-manager/issuers.yaml`);
    const issuerReady = at(c, 'kubectl --context kind-patient-mesh wait clusterissuer/patient-mesh-ca');

    const metricsRepo = at(c, `helm repo add metrics-server ${versions['METRICS_SERVER_REPO']}`);
    const metrics = at(c, 'helm upgrade --install metrics-server metrics-server/metrics-server');
    const metricsArgs = c[metrics]!.args;
    expect(versions['METRICS_SERVER_CHART_VERSION']).toMatch(/^\d+\.\d+\.\d+$/);
    expect(flagValues(c[metrics]!, '--version')).toEqual([versions['METRICS_SERVER_CHART_VERSION']]);
    expect(flagValues(c[metrics]!, '--namespace')).toEqual(['kube-system']);
    // kind's kubelets serve self-signed certificates.
    expect(flagValues(c[metrics]!, '--set')).toEqual(['args={--kubelet-insecure-tls}']);
    expect(metricsArgs).toContain('--wait');

    const namespace = applied(c).find((a) => a.object['kind'] === 'Namespace');
    expect(namespace).toBeDefined();
    const secrets = ['patient-mesh-jwks', 'patient-mesh-test-token', AUDIT_SECRET].map(
      (s) => appliedSecret(c, s).index,
    );
    const release = c.indexOf(releaseCall(c));
    const pods = at(c, 'kubectl --context kind-patient-mesh -n patient-mesh get pods');

    const order = [cluster, previous, certManager, issuers, issuerReady, metricsRepo, metrics, namespace!.index];
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    for (const s of secrets) {
      expect(s).toBeGreaterThan(namespace!.index);
      expect(release).toBeGreaterThan(s);
    }
    expect(pods).toBeGreaterThan(release);
    for (const chart of ['patient-api', 'patient-rpc', 'patient-mesh'])
      expect(at(c, `helm dependency build ${ROOT}/charts/${chart}`)).toBeLessThan(release);
  });

  it('installs the pinned observability charts before the release', () => {
    const c = first.calls;
    const release = c.indexOf(releaseCall(c));
    const kps = at(c, 'helm upgrade --install kube-prometheus-stack prometheus-community/kube-prometheus-stack');
    const jaeger = at(c, 'helm upgrade --install jaeger jaegertracing/jaeger');
    expect(flagValues(c[kps]!, '--version')).toEqual([versions['KUBE_PROMETHEUS_STACK_VERSION']]);
    expect(flagValues(c[jaeger]!, '--version')).toEqual([versions['JAEGER_CHART_VERSION']]);
    expect(Math.max(kps, jaeger)).toBeLessThan(release);
  });

  it('labels the namespace for Pod Security admission: restricted, enforced, audited and warned', () => {
    const ns = applied(first.calls).find((a) => a.object['kind'] === 'Namespace')!.object;
    expect(ns['metadata'].name).toBe('patient-mesh');
    expect(ns['metadata'].labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
    });
  });

  it('installs the umbrella with the kind values, the image tag and the audit key Secret and verifier key', () => {
    const release = releaseCall(first.calls);
    expect(flagValues(release, '--kube-context')).toEqual(['kind-patient-mesh']);
    expect(flagValues(release, '--namespace')).toEqual(['patient-mesh']);
    expect(flagValues(release, '-f')).toEqual([`${ROOT}/k8s/kind/values.yaml`]);
    expect(flagValues(release, '--set')).toEqual([
      `global.image.registry=${REGISTRY}`,
      `global.image.tag=${TAG}`,
      `patient-rpc.audit.checkpoints.signingKeySecret=${AUDIT_SECRET}`,
    ]);
    const verifierKey = /^Audit\s+verifier key \(public, for auditors\) (\S+)$/m.exec(first.stdout)?.[1];
    expect(verifierKey).toMatch(/^patient-mesh\/audit\+[0-9a-f]{8}\+[A-Za-z0-9+/]+={0,2}$/);
    expect(flagValues(release, '--set-string')).toEqual([`patient-rpc.audit.checkpoints.verifierKey=${verifierKey}`]);
    expect(release.args).toContain('--wait');
  });

  it('the pods the release renders run exactly the images it built and loaded', () => {
    const loaded = loadedImages(first.calls);
    expect(loaded.sort()).toEqual(SERVICES.map((svc) => imageOf(svc)));
    const rendered = renderedPodImages(releaseCall(first.calls));
    // Both Deployments and the helm test Pod; the bundled PostgreSQL's image is pulled as usual.
    expect(rendered.filter((i) => loaded.includes(i)).length).toBeGreaterThanOrEqual(3);
    expect(ownImages(rendered)).toEqual(loaded);
  });

  it('keeps its keys in PM_DEV_DIR and puts them into the Secrets; nothing names the real .dev/', async () => {
    const c = first.calls;
    expect(readdirSync(m.devDir).sort()).toEqual([
      'audit-signing-key.pem',
      'dev-key.private.jwk.json',
      'jwks.json',
      'postgresql-password',
    ]);
    expect(appliedSecret(c, AUDIT_SECRET).data['signing-key.pem']).toBe(
      readFileSync(join(m.devDir, 'audit-signing-key.pem'), 'utf8'),
    );
    const jwks = JSON.parse(appliedSecret(c, 'patient-mesh-jwks').data['jwks.json']!) as JSONWebKeySet;
    expect(jwks).toEqual(JSON.parse(readFileSync(join(m.devDir, 'jwks.json'), 'utf8')));
    const { payload } = await jwtVerify(
      appliedSecret(c, 'patient-mesh-test-token').data['token']!.trim(),
      createLocalJWKSet(jwks),
      {
        issuer: 'patient-mesh',
        audience: 'patient-api',
      },
    );
    expect(payload['roles']).toEqual(['clinician']);
    expect(c.filter((call) => line(call).includes(join(ROOT, '.dev')))).toEqual([]);
    // Its work directory (the JWKS file, image archives) is gone.
    expect(readdirSync(first.tmp)).toEqual([]);
  });

  it("generates the PostgreSQL password once into PM_DEV_DIR (mode 0600) and passes it with --set-file: the release's Secret carries it", () => {
    const file = join(m.devDir, 'postgresql-password');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const password = readFileSync(file, 'utf8');
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const release = releaseCall(first.calls);
    expect(flagValues(release, '--set-file')).toEqual([`postgresql.auth.password=${file}`]);
    // Never on a command line (ps would show it).
    expect(first.calls.filter((c) => line(c).includes(password))).toEqual([]);
    const secret = parseManifests(renderRelease(release)).find(
      (o) => o.kind === 'Secret' && o.metadata.name === 'patient-mesh-postgresql',
    ) as unknown as { data: Record<string, string> };
    expect(Buffer.from(secret.data['password']!, 'base64').toString()).toBe(password);
  });

  it('a second run (kind v0.24.0, the first that enforces NetworkPolicy) keeps the cluster and the keys', async () => {
    const keys = Object.fromEntries(readdirSync(m.devDir).map((f) => [f, readFileSync(join(m.devDir, f), 'utf8')]));
    const second = await kindUp(m, { STUB_KIND_VERSION: 'v0.24.0' });
    expect(second.status, second.stderr).toBe(0);
    expect(second.stderr).not.toMatch(/warning/);
    const c = second.calls;
    at(c, 'kind get clusters');
    expect(c.filter((call) => line(call).startsWith('kind create cluster'))).toEqual([]);
    expect(Object.fromEntries(readdirSync(m.devDir).map((f) => [f, readFileSync(join(m.devDir, f), 'utf8')]))).toEqual(
      keys,
    );
    expect(appliedSecret(c, 'patient-mesh-jwks').data).toEqual(appliedSecret(first.calls, 'patient-mesh-jwks').data);
    expect(appliedSecret(c, AUDIT_SECRET).data).toEqual(appliedSecret(first.calls, AUDIT_SECRET).data);
    expect(flagValues(releaseCall(c), '--set-string')).toEqual(flagValues(releaseCall(first.calls), '--set-string'));
    expect(flagValues(releaseCall(c), '--set-file')).toEqual(flagValues(releaseCall(first.calls), '--set-file'));
    // What helm would apply is the same, byte for byte: the PostgreSQL Secret included.
    expect(renderRelease(releaseCall(c))).toBe(renderRelease(releaseCall(first.calls)));
  });
});

describe('kind-up loads images from an archive when `kind load docker-image` fails (kubernetes-sigs/kind#3795)', () => {
  function expectArchiveLoads(run: KindUpRun, platformRefused: boolean) {
    expect(run.status, run.stderr).toBe(0);
    const c = run.calls;
    for (const svc of SERVICES) {
      const image = imageOf(svc);
      const build = at(c, `docker build --build-arg SERVICE=${svc}`);
      const withPlatform = at(c, 'docker image save --platform linux/amd64 -o ', (x) => x.args.at(-1) === image);
      expect(withPlatform).toBeGreaterThan(build);
      let save = withPlatform;
      if (platformRefused) {
        expect(c[withPlatform]!.status).toBe(125);
        save = at(c, 'docker image save -o ', (x) => x.args.at(-1) === image);
        expect(save).toBeGreaterThan(withPlatform);
      }
      const archive = flagValues(c[save]!, '-o')[0]!;
      expect(archive.startsWith(run.tmp)).toBe(true);
      const load = at(c, `kind load image-archive --name patient-mesh ${archive}`);
      expect(load).toBeGreaterThan(save);
      expect(c[load]!.archiveBytes).toBeGreaterThan(0);
    }
    expect(readdirSync(run.tmp)).toEqual([]);
  }

  it('falls back per image to `docker image save --platform <nodes>` + `kind load image-archive`', async () => {
    const run = await kindUp(machine('containerd-store'), { STUB_KIND_LOAD_DOCKER_IMAGE_FAILS: '1' });
    expectArchiveLoads(run, false);
    for (const svc of SERVICES) {
      const tried = at(run.calls, `kind load docker-image --name patient-mesh ${imageOf(svc)}`);
      expect(run.calls[tried]!.status).toBe(1);
    }
    expect(run.stderr).toContain('kubernetes-sigs/kind#3795');
  });

  it('saves without --platform where the engine refuses it (Docker < 28)', async () => {
    const run = await kindUp(machine('old-docker'), {
      STUB_KIND_LOAD_DOCKER_IMAGE_FAILS: '1',
      STUB_DOCKER_SAVE_NO_PLATFORM: '1',
    });
    expectArchiveLoads(run, true);
  });

  it('KIND_LOAD=archive goes straight to the archive', async () => {
    const run = await kindUp(machine('archive-only'), { KIND_LOAD: 'archive' });
    expectArchiveLoads(run, false);
    expect(run.calls.filter((c) => line(c).startsWith('kind load docker-image'))).toEqual([]);
  });

  it('IMAGE_REGISTRY (a fork registry), archive loads: the rendered pods still run the loaded images', async () => {
    const registry = 'registry.example.com/fork';
    const run = await kindUp(machine('fork-registry'), { KIND_LOAD: 'archive', IMAGE_REGISTRY: registry });
    expect(run.status, run.stderr).toBe(0);
    const loaded = loadedImages(run.calls);
    expect(loaded.sort()).toEqual(SERVICES.map((svc) => imageOf(svc, registry)));
    expect(ownImages(renderedPodImages(releaseCall(run.calls)))).toEqual(loaded);
  });
});

describe('kind-up on a cluster whose release kept a generated PostgreSQL password', () => {
  it('adopts that password into PM_DEV_DIR, so the data volume initialised with it stays readable', async () => {
    const m = machine('older-release');
    const run = await kindUp(m, { STUB_POSTGRESQL_SECRET_PASSWORD: 'Generated0ldPassw0rd' });
    expect(run.status, run.stderr).toBe(0);
    at(run.calls, 'kubectl --context kind-patient-mesh -n patient-mesh get secret patient-mesh-postgresql');
    expect(readFileSync(join(m.devDir, 'postgresql-password'), 'utf8')).toBe('Generated0ldPassw0rd');
    expect(flagValues(releaseCall(run.calls), '--set-file')).toEqual([
      `postgresql.auth.password=${join(m.devDir, 'postgresql-password')}`,
    ]);
  });
});

describe('kind-up and the kind version (kindnetd enforces NetworkPolicy from v0.24)', () => {
  it.each(['v0.23.0', 'v0.9.0'])('refuses kind %s before it makes anything', async (version) => {
    const run = await kindUp(machine(`kind-${version}`), { STUB_KIND_VERSION: version });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(`kind ${version}`);
    expect(run.stderr).toMatch(/older than v0\.24\.0: .*NetworkPolicy/);
    expect(run.stderr).toContain('ALLOW_OLD_KIND=1');
    const made = run.calls.filter((c) =>
      /^(kind create|kind load|docker build|helm upgrade|kubectl .*apply)/.test(line(c)),
    );
    expect(made).toEqual([]);
  });

  it('goes on with a warning under ALLOW_OLD_KIND=1', async () => {
    const run = await kindUp(machine('kind-old-allowed'), { STUB_KIND_VERSION: 'v0.23.0', ALLOW_OLD_KIND: '1' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/warning: kind v0\.23\.0 .*older than v0\.24\.0.*NetworkPolicy/);
    at(run.calls, 'kind create cluster');
  });
});

describe('make rollout-check gets a token that the cluster kind-up made accepts', () => {
  let m: Machine;
  let jwks: JSONWebKeySet;
  let server: Server;
  let url: string;
  const seen: Array<{ url: string | undefined; authorization: string | undefined }> = [];

  beforeAll(async () => {
    m = machine('rollout');
    const run = await kindUp(m, { SKIP_OBSERVABILITY: '1' });
    expect(run.status, run.stderr).toBe(0);
    jwks = JSON.parse(appliedSecret(run.calls, 'patient-mesh-jwks').data['jwks.json']!) as JSONWebKeySet;
    // rollout-check asks the API for a patient first; a 503 ends it there (exit 2), after the token was sent.
    server = createServer((req, res) => {
      seen.push({ url: req.url, authorization: req.headers.authorization });
      res.writeHead(503, { 'content-type': 'application/problem+json' }).end('{"status":503}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // rollout-check loads a kubeconfig before it calls the API; it never reaches this server.
    writeFileSync(
      join(m.dir, 'kubeconfig'),
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'kind-patient-mesh', cluster: { server: 'http://127.0.0.1:9' } }],
        users: [{ name: 'kind-patient-mesh', user: {} }],
        contexts: [{ name: 'kind-patient-mesh', context: { cluster: 'kind-patient-mesh', user: 'kind-patient-mesh' } }],
        'current-context': 'kind-patient-mesh',
      }),
    );
  });
  afterAll(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  const rolloutCheck = (env: Record<string, string>) =>
    exec('make', ['--no-print-directory', 'rollout-check', `ROLLOUT_URL=${url}`], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'], HOME: m.home, KUBECONFIG: join(m.dir, 'kubeconfig'), ...env },
    });

  it('with no TOKEN: a clinician token signed by the key whose JWKS kind-up installed', async () => {
    seen.length = 0;
    const result = await rolloutCheck({ PM_DEV_DIR: m.devDir });
    expect(result.stderr).toContain(`rollout-check: cannot list patients at ${url}: HTTP 503`);
    expect(seen.map((s) => s.url)).toEqual(['/api/v1/patients?limit=1']);
    const token = /^Bearer (\S+)$/.exec(seen[0]!.authorization ?? '')?.[1];
    expect(token).toBeDefined();
    const { payload } = await jwtVerify(token!, createLocalJWKSet(jwks), {
      issuer: 'patient-mesh',
      audience: 'patient-api',
    });
    expect(payload['roles']).toEqual(['clinician']);
    expect(payload.sub).toBe('rollout-check');
  });

  it('TOKEN, when set, is the one sent', async () => {
    seen.length = 0;
    await rolloutCheck({ PM_DEV_DIR: m.devDir, TOKEN: 'given-token' });
    expect(seen.map((s) => s.authorization)).toEqual(['Bearer given-token']);
  });

  it('with neither a TOKEN nor a dev key it says to run kind-up, and calls nothing', async () => {
    seen.length = 0;
    const result = await rolloutCheck({ PM_DEV_DIR: join(m.dir, 'no-such-dev-dir') });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('run make kind-up first');
    expect(seen).toEqual([]);
  });
});
