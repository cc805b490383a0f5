// One pod as a kubelet runs it: a process on its own loopback IP, readiness probed every
// period (ready after successThreshold successes in a row, unready after failureThreshold
// failures), and on deletion: preStop sleep, SIGTERM, SIGKILL at the end of the grace period.
import { EventEmitter } from 'node:events';
import { startService, type ServiceProcess } from '../../support/services.ts';
import type { WorkloadSpec } from './chartSpec.ts';
import { grpcProbe, httpProbe, type Probe } from './probes.ts';

export interface PodTiming {
  /** Multiplies every duration read from the chart (probe period, preStop, grace). */
  timeScale: number;
}

export interface Termination {
  pod: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** SIGTERM to exit. */
  drainMs: number;
  /** Deletion to exit (preStop included). */
  totalMs: number;
  graceMs: number;
  killed: boolean;
}

export class Pod extends EventEmitter<{ change: [] }> {
  ready = false;
  terminating = false;
  exitedAt: number | undefined;
  termination: Promise<Termination> | undefined;
  #process: ServiceProcess | undefined;
  #probe: Probe | undefined;
  #probeTimer: NodeJS.Timeout | undefined;
  #successes = 0;
  #failures = 0;

  readonly name: string;
  readonly revision: number;
  readonly ip: string;
  /** Host ports by container port name (the same on every pod, like container ports). */
  readonly ports: Record<string, number>;
  private readonly spec: WorkloadSpec;
  private readonly timing: PodTiming;

  constructor(
    name: string,
    revision: number,
    ip: string,
    ports: Record<string, number>,
    spec: WorkloadSpec,
    timing: PodTiming,
  ) {
    super();
    this.name = name;
    this.revision = revision;
    this.ip = ip;
    this.ports = ports;
    this.spec = spec;
    this.timing = timing;
  }

  get process(): ServiceProcess | undefined {
    return this.#process;
  }

  #seconds(value: number): number {
    return value * 1000 * this.timing.timeScale;
  }

  async start(env: Record<string, string>): Promise<void> {
    this.#process = await startService(this.spec.name as 'patient-api' | 'patient-rpc', { env, waitListening: false });
    void this.#process.exited.then(() => {
      this.exitedAt = performance.now();
      this.#stopProbing();
      this.#setReady(false);
    });
    const r = this.spec.readiness;
    // Probe ports are container ports (by name or number); the harness renumbers them.
    const name =
      typeof r.port === 'string' ? r.port : Object.keys(this.spec.ports).find((n) => this.spec.ports[n] === r.port);
    const port = name === undefined ? Number(r.port) : this.ports[name]!;
    const timeoutMs = this.#seconds(r.timeoutSeconds);
    this.#probe =
      r.kind === 'http'
        ? httpProbe(`http://${this.ip}:${port}${r.path}`, timeoutMs)
        : grpcProbe(`${this.ip}:${port}`, r.service, timeoutMs);
    this.#scheduleProbe(this.#seconds(r.initialDelaySeconds));
  }

  #scheduleProbe(delayMs: number): void {
    this.#probeTimer = setTimeout(() => void this.#runProbe(), delayMs);
  }

  async #runProbe(): Promise<void> {
    const ok = await this.#probe!.run();
    if (this.exitedAt !== undefined) return;
    const r = this.spec.readiness;
    if (ok) {
      this.#failures = 0;
      if (++this.#successes >= r.successThreshold) this.#setReady(true);
    } else {
      this.#successes = 0;
      if (++this.#failures >= r.failureThreshold) this.#setReady(false);
    }
    this.#scheduleProbe(this.#seconds(r.periodSeconds));
  }

  #stopProbing(): void {
    clearTimeout(this.#probeTimer);
    this.#probe?.close();
  }

  #setReady(ready: boolean): void {
    if (this.ready === ready) return;
    this.ready = ready;
    this.emit('change');
  }

  /** Pod deletion: endpoints learn `terminating` at once (in parallel), preStop, SIGTERM, SIGKILL at grace end. */
  terminate(): Promise<Termination> {
    this.termination ??= (async () => {
      const process = this.#process!;
      const t0 = performance.now();
      this.terminating = true;
      this.emit('change');
      const graceMs = this.#seconds(this.spec.terminationGracePeriodSeconds);
      let killed = false;
      const killer = setTimeout(() => {
        killed = true;
        process.child.kill('SIGKILL');
      }, graceMs);
      const preStopMs = Math.min(this.#seconds(this.spec.preStopSeconds), graceMs);
      // The preStop hook is a sleep by definition; the exit can come first (a crash).
      await Promise.race([new Promise((resolve) => setTimeout(resolve, preStopMs)), process.exited]);
      const sigtermAt = performance.now();
      if (process.child.exitCode === null && process.child.signalCode === null) process.child.kill('SIGTERM');
      const exitCode = await process.exited;
      clearTimeout(killer);
      const exitedAt = performance.now();
      return {
        pod: this.name,
        exitCode,
        signal: process.child.signalCode,
        drainMs: exitedAt - sigtermAt,
        totalMs: exitedAt - t0,
        graceMs,
        killed,
      };
    })();
    return this.termination;
  }

  /** Test teardown: gone at once. */
  async kill(): Promise<void> {
    this.#stopProbing();
    await this.#process?.stop('SIGKILL');
  }
}
