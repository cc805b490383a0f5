// A kubelet-like harness for patient-mesh on loopback: Deployments of patient-rpc (pods on
// 127.0.0.x) and patient-api (pods on 127.0.1.x), an EndpointSlice controller that
// publishes ready, non-terminating endpoints after a propagation delay — to the api's
// `file:` resolver for rpc, to a kube-proxy-like forwarder for api — and a Deployment
// controller that performs rolling updates by the chart's maxSurge/maxUnavailable.
import { renameSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startForwarder, type Forwarder } from '../../support/forwarder.ts';
import { apiEnv, rpcEnv } from '../../support/services.ts';
import type { WorkloadSpec } from './chartSpec.ts';
import { Pod, type Termination } from './Pod.ts';

export interface ClusterOptions {
  rpc: WorkloadSpec;
  api: WorkloadSpec;
  /** Scales every duration from the charts (probe period, preStop, grace, shutdownTimeout). */
  timeScale: number;
  /** Time from a pod's readiness change to clients seeing it (EndpointSlice → kube-proxy / resolver). */
  propagationMs: number;
  /** Where the rpc endpoint file lives. */
  dir: string;
  databaseUrl: string;
  jwksFile: string;
  apiEnv?: Record<string, string>;
}

type Workload = 'rpc' | 'api';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export class Cluster {
  readonly pods: Record<Workload, Pod[]> = { rpc: [], api: [] };
  readonly terminations: Termination[] = [];
  readonly endpointsFile: string;
  forwarder!: Forwarder;
  #ports: Record<Workload, Record<string, number>> = { rpc: {}, api: {} };
  #revision: Record<Workload, number> = { rpc: 0, api: 0 };
  #nextIp: Record<Workload, number> = { rpc: 10, api: 10 };
  #waiters = new Set<() => void>();
  /** Resolves once the latest endpoint change has reached clients. */
  published: Promise<void> = Promise.resolve();

  private readonly options: ClusterOptions;

  constructor(options: ClusterOptions) {
    this.options = options;
    this.endpointsFile = join(options.dir, 'rpc-endpoints.json');
  }

  /** Ports are renumbered to free ones (the same for every pod of a workload, like container ports). */
  async start(): Promise<void> {
    for (const workload of ['rpc', 'api'] as const)
      for (const name of Object.keys(this.options[workload].ports)) this.#ports[workload][name] = await freePort();
    this.#publishRpc([]);
    this.forwarder = await startForwarder([]);
    await this.#scaleUp('rpc');
    await this.#scaleUp('api');
    await this.published;
  }

  /** Resolves on the next pod change (bounded: rejects after `timeoutMs`). */
  changed(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter = () => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`no pod change within ${timeoutMs} ms: ${this.describe()}`));
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  describe(): string {
    const pod = (p: Pod) =>
      `${p.name}${p.ready ? '+' : '-'}${p.terminating ? 'T' : ''}` +
      (p.exitedAt !== undefined ? `(exited ${p.process?.child.exitCode}: ${p.process?.stderr().slice(-300)})` : '');
    return (['rpc', 'api'] as const).map((w) => this.pods[w].map(pod).join(' ')).join(' | ');
  }

  #scaled(seconds: number): number {
    return seconds * this.options.timeScale;
  }

  #env(workload: Workload, ip: string): Record<string, string> {
    const spec = this.options[workload];
    const ports = this.#ports[workload];
    const lc = spec.lifecycleConfig;
    const lifecycle = {
      PM_LIFECYCLE__SHUTDOWN_TIMEOUT_SECONDS: String(this.#scaled(lc['shutdownTimeoutSeconds'] ?? 20)),
      PM_LIFECYCLE__PRE_STOP_SECONDS: String(this.#scaled(spec.preStopSeconds)),
      PM_LIFECYCLE__TERMINATION_GRACE_PERIOD_SECONDS: String(this.#scaled(spec.terminationGracePeriodSeconds)),
      PM_LIFECYCLE__IDLE_SOCKET_QUIET_MS: String(lc['idleSocketQuietMs'] ?? 1000),
      PM_ADMIN__HOST: ip,
      PM_ADMIN__PORT: String(ports['admin']),
    };
    if (workload === 'rpc')
      return rpcEnv(this.options.jwksFile, {
        PM_GRPC__HOST: ip,
        PM_GRPC__PORT: String(ports['grpc']),
        PM_DATABASE__URL: this.options.databaseUrl,
        // The first pod seeds; concurrent seeding by several would race on unique keys.
        PM_SEED__PATIENTS: this.pods.rpc.length === 1 ? '5' : '0',
        ...lifecycle,
      });
    return apiEnv(`file://${this.endpointsFile}`, this.options.jwksFile, {
      PM_HTTP__HOST: ip,
      PM_HTTP__PORT: String(ports['http']),
      ...this.options.apiEnv,
      ...lifecycle,
    });
  }

  async #createPod(workload: Workload): Promise<Pod> {
    const n = this.#nextIp[workload]++;
    const ip = workload === 'rpc' ? `127.0.0.${n}` : `127.0.1.${n}`;
    const spec = this.options[workload];
    const pod = new Pod(
      `${workload}-r${this.#revision[workload]}-${n}`,
      this.#revision[workload],
      ip,
      this.#ports[workload],
      spec,
      {
        timeScale: this.options.timeScale,
      },
    );
    this.pods[workload].push(pod);
    pod.on('change', () => this.#onChange());
    await pod.start(this.#env(workload, ip));
    this.#onChange();
    return pod;
  }

  async #scaleUp(workload: Workload): Promise<void> {
    const spec = this.options[workload];
    const first = await this.#createPod(workload);
    while (!first.ready) await this.changed(60_000);
    const pods = [
      first,
      ...(await Promise.all(Array.from({ length: spec.replicas - 1 }, () => this.#createPod(workload)))),
    ];
    while (!pods.every((p) => p.ready)) await this.changed(60_000);
  }

  #onChange(): void {
    // EndpointSlice controller: ready and not terminating; clients see it after the delay.
    const ready = (w: Workload) => this.pods[w].filter((p) => p.ready && !p.terminating && p.exitedAt === undefined);
    const rpc = ready('rpc').map((p) => `${p.ip}:${this.#ports.rpc['grpc']}`);
    const api = ready('api').map((p) => ({ host: p.ip, port: this.#ports.api['http']! }));
    this.published = new Promise((resolve) =>
      setTimeout(() => {
        this.#publishRpc(rpc);
        this.forwarder.setBackends(api);
        resolve();
      }, this.options.propagationMs),
    );
    for (const waiter of [...this.#waiters]) waiter();
  }

  #publishRpc(endpoints: string[]): void {
    writeFileSync(`${this.endpointsFile}.tmp`, JSON.stringify(endpoints));
    renameSync(`${this.endpointsFile}.tmp`, this.endpointsFile);
  }

  /**
   * A rolling update (`kubectl rollout restart`): new pods are created while the total of
   * non-terminating pods stays within replicas + maxSurge; old pods are deleted while the
   * ready ones stay at least replicas − maxUnavailable. Resolves when every old pod has exited.
   */
  async rollout(workload: Workload, timeoutMs: number): Promise<Termination[]> {
    const spec = this.options[workload];
    const revision = ++this.#revision[workload];
    const deadline = performance.now() + timeoutMs;
    const deletions: Array<Promise<Termination>> = [];
    const creations: Array<Promise<Pod>> = [];
    for (;;) {
      const live = this.pods[workload].filter((p) => !p.terminating && p.exitedAt === undefined);
      const fresh = live.filter((p) => p.revision === revision);
      const old = live.filter((p) => p.revision !== revision);
      if (old.length === 0 && fresh.length === spec.replicas && fresh.every((p) => p.ready)) break;
      // #createPod lists the pod before its first await, so `live` counts it at once.
      if (fresh.length < spec.replicas && live.length < spec.replicas + spec.maxSurge) {
        creations.push(this.#createPod(workload));
        continue;
      }
      const available = live.filter((p) => p.ready).length;
      const victim = old.find((p) => !p.ready) ?? old[0];
      if (victim && available - (victim.ready ? 1 : 0) >= spec.replicas - spec.maxUnavailable) {
        deletions.push(
          victim.terminate().then((t) => {
            this.terminations.push(t);
            return t;
          }),
        );
        continue;
      }
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`rollout of ${workload} did not finish in ${timeoutMs} ms: ${this.describe()}`);
      await this.changed(left);
    }
    await Promise.all(creations);
    return Promise.all(deletions);
  }

  async destroy(): Promise<void> {
    for (const pod of [...this.pods.rpc, ...this.pods.api]) await pod.kill();
    await this.forwarder?.close();
  }
}
