// Zero-downtime check against a real cluster: bounded keep-alive load on the API while
// both Deployments do a `rollout restart`; fails on any failed request.
//
//   TOKEN=$(node scripts/dev-token.ts) npm exec -- node scripts/rollout-check.ts \
//     --context kind-patient-mesh --namespace patient-mesh --release pm --url http://127.0.0.1:8080
//
// --url must reach the API through its Service (NodePort, LoadBalancer, Ingress; kind:
// an extraPortMappings NodePort). `kubectl port-forward` is not suitable: it pins one pod
// and breaks when that pod terminates, which a rollout does by design.
//
// Exit codes: 0 no failed request and both rollouts complete; 1 failed requests; 2 a
// rollout did not complete in time or the API could not be reached; 64 usage.
import { parseArgs } from 'node:util';
import {
  AppsV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  Watch,
  type V1Deployment,
} from '@kubernetes/client-node';
import { quantile, startLoad } from '../tests/lifecycle/harness/loadGenerator.ts';

const { values: args } = parseArgs({
  options: {
    context: { type: 'string' },
    namespace: { type: 'string', default: 'patient-mesh' },
    release: { type: 'string', default: 'pm' },
    /** Deployment names; default `<release>-patient-rpc,<release>-patient-api`. */
    deployments: { type: 'string' },
    url: { type: 'string', default: 'http://127.0.0.1:8080' },
    token: { type: 'string' },
    connections: { type: 'string', default: '16' },
    /** Upper bound for the whole check (load and rollouts), seconds. */
    timeout: { type: 'string', default: '600' },
    /** Load before and after the rollouts (steady state), seconds. */
    settle: { type: 'string', default: '10' },
    help: { type: 'boolean', default: false },
  },
});

const say = (message: string) => process.stderr.write(`rollout-check: ${message}\n`);
const token = args.token ?? process.env['TOKEN'];
if (args.help || !token) {
  say('usage: rollout-check --context C --namespace N --release R --url URL (--token T | env TOKEN)');
  process.exit(args.help ? 0 : 64);
}

const kubeConfig = new KubeConfig();
kubeConfig.loadFromDefault();
if (args.context) kubeConfig.setCurrentContext(args.context);
const apps = kubeConfig.makeApiClient(AppsV1Api);
const namespace = args.namespace;
const names = (args.deployments ?? `${args.release}-patient-rpc,${args.release}-patient-api`).split(',');
const timeoutMs = Number(args.timeout) * 1000;
const settleMs = Number(args.settle) * 1000;

/** Rolled out: the controller saw the new spec and every replica is updated and available. */
function complete(d: V1Deployment, generation: number): boolean {
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  return (
    (s.observedGeneration ?? 0) >= generation &&
    (s.updatedReplicas ?? 0) === want &&
    (s.replicas ?? 0) === want &&
    (s.availableReplicas ?? 0) === want
  );
}

/** `kubectl rollout restart`: a new pod-template annotation; resolves with the new generation. */
async function restart(name: string): Promise<number> {
  const patched = await apps.patchNamespacedDeployment(
    {
      name,
      namespace,
      body: {
        spec: {
          template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': new Date().toISOString() } } },
        },
      },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  return patched.metadata?.generation ?? 0;
}

/** Watches one Deployment until its rollout of `generation` is complete (bounded by `deadline`). */
async function waitRolledOut(name: string, generation: number, deadline: number): Promise<void> {
  const current = await apps.readNamespacedDeployment({ name, namespace });
  if (complete(current, generation)) return;
  await new Promise<void>((resolve, reject) => {
    let controller: AbortController | undefined;
    const finish = (error?: Error) => {
      clearTimeout(timer);
      controller?.abort();
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(
      () => finish(new Error(`${name}: rollout not complete in time`)),
      Math.max(0, deadline - Date.now()),
    );
    new Watch(kubeConfig)
      .watch(
        `/apis/apps/v1/namespaces/${namespace}/deployments`,
        { fieldSelector: `metadata.name=${name}`, resourceVersion: current.metadata?.resourceVersion },
        (phase, deployment: V1Deployment) => {
          if (phase === 'DELETED') finish(new Error(`${name}: deleted during the rollout`));
          else if (complete(deployment, generation)) finish();
        },
        // The server ends watches after a while: one ended early is re-read and re-watched.
        (error: unknown) => {
          if (error) return finish(error instanceof Error ? error : new Error(String(error)));
          waitRolledOut(name, generation, deadline).then(() => finish(), finish);
        },
      )
      .then((c) => (controller = c), finish);
  });
}

async function main(): Promise<number> {
  const headers = { authorization: `Bearer ${token}` };
  const list = await fetch(`${args.url}/api/v1/patients?limit=1`, { headers });
  if (list.status !== 200) {
    say(`cannot list patients at ${args.url}: HTTP ${list.status}`);
    return 2;
  }
  const { items } = (await list.json()) as { items: Array<{ id: string }> };
  if (!items[0]) {
    say('no patient to read: create one (or seed) first');
    return 2;
  }
  const started = Date.now();
  const load = startLoad({
    url: `${args.url}/api/v1/patients/${items[0].id}`,
    headers,
    connections: Number(args.connections),
    durationMs: timeoutMs,
    maxRequests: 10_000_000,
  });
  let code = 0;
  let rolloutStart = 0;
  let rolloutEnd = 0;
  try {
    await load.okCount(100);
    // Steady state first: the settle time of load before touching anything.
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    rolloutStart = performance.now() - load.startedAt;
    const generations = await Promise.all(names.map(restart));
    say(`restarted ${names.join(', ')}; waiting for the rollouts`);
    await Promise.all(names.map((name, i) => waitRolledOut(name, generations[i]!, started + timeoutMs)));
    rolloutEnd = performance.now() - load.startedAt;
    say(`rolled out in ${Math.round(rolloutEnd - rolloutStart)} ms`);
    await new Promise((resolve) => setTimeout(resolve, settleMs));
  } catch (error) {
    say(String(error));
    code = 2;
  } finally {
    load.stop();
  }
  const result = await load.result;
  const during = result.samples.filter((s) => s.at >= rolloutStart && s.at < (rolloutEnd || Infinity));
  const steady = result.samples.filter((s) => s.at < rolloutStart);
  process.stdout.write(
    `sent ${result.sent}, failed ${result.failed}; p99 steady ${quantile(steady, 0.99).toFixed(1)} ms, ` +
      `during rollout ${quantile(during, 0.99).toFixed(1)} ms (${during.length} requests)\n`,
  );
  for (const f of result.failures.slice(0, 10))
    process.stdout.write(`  failed at ${Math.round(f.at)} ms: ${f.error ?? `HTTP ${f.status}`}\n`);
  return result.failed > 0 ? 1 : code;
}

process.exitCode = await main();
