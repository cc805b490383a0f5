// patient-rpc and patient-api as real processes on fixed loopback ports, so that a process
// the test kills can be started again where its clients expect it, as a Kubernetes restart
// of the container keeps the pod's address.
import { apiEnv, rpcEnv, startService, type ServiceProcess } from '../../support/services.ts';
import { createTestKeys, type TestKeys } from '../../support/tokens.ts';
import { freePort } from './pgCluster.ts';

export const FAULT_ADMIN_TOKEN = 'fault-matrix-admin-token';

export interface MeshOptions {
  databaseUrl: string;
  /** Extra env of patient-rpc / patient-api. */
  rpcEnv?: Record<string, string>;
  apiEnv?: Record<string, string>;
  /** Where patient-api reaches patient-rpc; the rpc's own port by default. */
  rpcTarget?: (rpcPort: number) => string;
  /** The address patient-rpc listens on (127.0.0.1 unless a namespace's). */
  rpcHost?: string;
  /** Runs patient-rpc through this command (e.g. in a network namespace). */
  rpcWrapper?: string[];
}

export class Mesh {
  rpc!: ServiceProcess;
  api!: ServiceProcess;
  keys!: TestKeys;
  clinician!: string;
  rpcPort = 0;
  apiPort = 0;
  readonly #all: ServiceProcess[] = [];

  constructor(readonly options: MeshOptions) {}

  get base(): string {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  async start(): Promise<this> {
    this.keys = await createTestKeys();
    this.clinician = await this.keys.token({ sub: 'fault-clinician', roles: ['clinician'] });
    this.rpcPort = await freePort();
    this.apiPort = await freePort();
    await this.startRpc(true);
    await this.startApi();
    return this;
  }

  async startRpc(seed = false): Promise<ServiceProcess> {
    this.rpc = await startService('patient-rpc', {
      env: rpcEnv(this.keys.jwksFile, {
        PM_DATABASE__URL: this.options.databaseUrl,
        PM_GRPC__HOST: this.options.rpcHost ?? '127.0.0.1',
        PM_GRPC__PORT: String(this.rpcPort),
        PM_SEED__PATIENTS: seed ? '10' : '0',
        ...this.options.rpcEnv,
      }),
      ...(this.options.rpcWrapper && { wrapper: this.options.rpcWrapper }),
    });
    this.#all.push(this.rpc);
    return this.rpc;
  }

  async startApi(): Promise<ServiceProcess> {
    const target = this.options.rpcTarget?.(this.rpcPort) ?? `127.0.0.1:${this.rpcPort}`;
    this.api = await startService('patient-api', {
      env: apiEnv(target, this.keys.jwksFile, {
        PM_HTTP__PORT: String(this.apiPort),
        // The load is the fault matrix's own; a token bucket would answer part of it 429.
        PM_RATE_LIMIT__ENABLED: 'false',
        ...this.options.apiEnv,
      }),
    });
    this.#all.push(this.api);
    return this.api;
  }

  /** Every process this mesh started, killed; for afterAll. */
  async close(): Promise<void> {
    if (process.env['DEBUG_LOGS'])
      for (const p of this.#all)
        console.log(
          p.name,
          p.child.pid,
          p.logs.filter((l) => l.level !== 'info' && l.level !== 'debug').slice(0, 40),
          p.stderr().slice(-2000),
        );
    await Promise.all(this.#all.map((p) => p.stop('SIGKILL')));
  }
}
