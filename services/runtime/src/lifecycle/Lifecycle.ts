import type { Server } from 'node:http';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import { trackHttpServer, type HttpDrain } from './trackHttpServer.js';

/** A readiness condition: true when met; false, or the reason as a string, when not. */
export type ReadinessCheck = () => Promise<boolean | string> | boolean | string;

export type LifecycleState = 'starting' | 'ready' | 'draining' | 'stopped';

export interface LifecycleOptions {
  shutdownTimeoutSeconds: number;
  idleSocketQuietMs: number;
  /** Test-only negative control: `false` replaces the drain with a plain `server.close()`. */
  drain?: boolean;
}

export interface LifecycleDeps {
  logger: Logger;
  registry: Registry;
  /** Ends the process; tests pass a recorder. */
  exit?: (code: number) => void;
}

/** A shutdown step: resolves when done; `signal` aborts when the shutdown budget is spent. */
export type ShutdownStep = (signal: AbortSignal) => Promise<unknown>;

interface NamedStep {
  name: string;
  run: ShutdownStep;
}

const STATE_VALUES: Record<LifecycleState, number> = { starting: 0, ready: 1, draining: 2, stopped: 3 };

/**
 * Owns the process states starting → ready → draining → stopped and the shutdown order:
 * readiness false at once; every server drains in parallel (HTTP by `Connection: close`,
 * gRPC by NOT_SERVING then GOAWAY); then close steps run in the order they were added
 * (audit writer, database, telemetry); logs are flushed; exit 0. Past the shutdown budget
 * it cuts what is left, logs it and exits 1; a second signal exits at once.
 */
export class Lifecycle {
  #state: LifecycleState = 'starting';
  readonly #drains: NamedStep[] = [];
  readonly #closes: NamedStep[] = [];
  readonly #readiness: ReadinessCheck[] = [];
  readonly #stateGauge: Gauge;
  readonly #phaseSeconds: Gauge<'phase'>;
  readonly #timeouts: Counter;
  #shutdown: Promise<number> | undefined;

  constructor(
    private readonly options: LifecycleOptions,
    private readonly deps: LifecycleDeps,
  ) {
    this.#stateGauge = new Gauge({
      name: 'lifecycle_state',
      help: 'Process lifecycle state: 0 starting, 1 ready, 2 draining, 3 stopped.',
      registers: [deps.registry],
    });
    this.#phaseSeconds = new Gauge({
      name: 'lifecycle_shutdown_phase_seconds',
      help: 'Duration of each shutdown phase of this process (0 until the shutdown has run it).',
      labelNames: ['phase'] as const,
      registers: [deps.registry],
    });
    this.#timeouts = new Counter({
      name: 'lifecycle_shutdown_timeouts_total',
      help: 'Shutdowns that ran past their budget and were forced.',
      registers: [deps.registry],
    });
    this.#stateGauge.set(0);
  }

  get state(): LifecycleState {
    return this.#state;
  }

  /** Adds a readiness condition (e.g. the store answers); checked on every /readyz. */
  addReadinessCheck(check: ReadinessCheck): void {
    this.#readiness.push(check);
  }

  async isReady(): Promise<boolean> {
    return (await this.notReadyReason()) === undefined;
  }

  /** Why the service is not ready (its state, or the first failing check's reason); undefined when ready. */
  async notReadyReason(): Promise<string | undefined> {
    if (this.#state !== 'ready') return this.#state;
    for (const check of this.#readiness) {
      const result = await check();
      if (result === false) return 'readiness check failed';
      if (typeof result === 'string') return result;
    }
    return undefined;
  }

  markReady(): void {
    if (this.#state !== 'starting') return;
    this.#setState('ready');
    this.deps.logger.info('ready');
  }

  /** Drains `server` on shutdown: connection-close responses, then the listener closes. */
  addHttpServer(name: string, server: Server): HttpDrain {
    const http = trackHttpServer(server);
    this.addDrainStep(name, async (signal) => {
      // Logged when the budget runs out, before the sockets are cut and the process exits
      // (a log after the cut would race the exit and be lost).
      const onAbort = () => {
        const { sockets, inFlight } = http.stats();
        this.deps.logger.warn({ server: name, socketsClosed: sockets, requestsCut: inFlight }, 'drain cut connections');
      };
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        if (this.options.drain === false) return await http.closeAtOnce();
        return await http.drain({ idleSocketQuietMs: this.options.idleSocketQuietMs, signal });
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    });
    return http;
  }

  /** A step that runs in parallel with the other drains once shutdown starts. */
  addDrainStep(name: string, run: ShutdownStep): void {
    this.#drains.push({ name, run });
    this.#phaseSeconds.set({ phase: name }, 0);
  }

  /** A step that runs after every drain, in the order added. */
  addCloseStep(name: string, run: ShutdownStep): void {
    this.#closes.push({ name, run });
    this.#phaseSeconds.set({ phase: name }, 0);
  }

  /** Installs SIGTERM/SIGINT handlers: the first starts the drain, the second exits at once. */
  listen(target: NodeJS.Process = process): void {
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.#shutdown) {
        this.deps.logger.warn({ signal }, 'second signal, exiting at once');
        this.#exit(signal === 'SIGINT' ? 130 : 143);
        return;
      }
      void this.shutdown(signal);
    };
    target.on('SIGTERM', onSignal);
    target.on('SIGINT', onSignal);
  }

  /** Runs the shutdown once; later calls return the same promise. Resolves to the exit code. */
  shutdown(reason: string): Promise<number> {
    this.#shutdown ??= this.#runShutdown(reason);
    return this.#shutdown;
  }

  async #runShutdown(reason: string): Promise<number> {
    const { logger } = this.deps;
    const started = performance.now();
    this.#setState('draining');
    logger.info({ reason, shutdownTimeoutSeconds: this.options.shutdownTimeoutSeconds }, 'draining');

    const budget = AbortSignal.timeout(this.options.shutdownTimeoutSeconds * 1000);
    const pending = new Set<string>();
    const timedOut = new Promise<'timeout'>((resolve) =>
      budget.addEventListener('abort', () => resolve('timeout'), { once: true }),
    );
    const runStep = async (step: NamedStep) => {
      const t0 = performance.now();
      pending.add(step.name);
      try {
        await step.run(budget);
      } catch (error) {
        logger.error({ err: error, phase: step.name }, 'shutdown step failed');
      } finally {
        pending.delete(step.name);
        const seconds = (performance.now() - t0) / 1000;
        this.#phaseSeconds.set({ phase: step.name }, seconds);
        logger.info({ phase: step.name, durationMs: Math.round(seconds * 1000) }, 'shutdown phase done');
      }
    };
    const all = (async () => {
      await Promise.all(this.#drains.map(runStep));
      for (const step of this.#closes) {
        if (budget.aborted) break;
        await runStep(step);
      }
    })();

    const outcome = await Promise.race([all.then(() => 'done' as const), timedOut]);
    const durationMs = Math.round(performance.now() - started);
    this.#setState('stopped');
    if (outcome === 'timeout') {
      this.#timeouts.inc();
      logger.error({ durationMs, cutOff: [...pending] }, 'shutdown timed out, forcing exit');
      this.#exit(1);
      return 1;
    }
    logger.info({ durationMs }, 'stopped');
    this.#exit(0);
    return 0;
  }

  #setState(state: LifecycleState): void {
    this.#state = state;
    this.#stateGauge.set(STATE_VALUES[state]);
  }

  #exit(code: number): void {
    const exit = this.deps.exit ?? ((c: number) => process.exit(c));
    const fallback = setTimeout(() => exit(code), 1000).unref();
    this.deps.logger.flush(() => {
      clearTimeout(fallback);
      exit(code);
    });
  }
}

export function createLifecycle(options: LifecycleOptions, deps: LifecycleDeps): Lifecycle {
  return new Lifecycle(options, deps);
}
