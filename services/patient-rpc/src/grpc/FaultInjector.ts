import { ServerInterceptingCall, status, type ServerInterceptor } from '@grpc/grpc-js';
import type { Logger } from '@patient-mesh/runtime';
import { Counter, type Registry } from 'prom-client';
import { z } from 'zod';
import { methodName } from './interceptors/methodName.js';

const STATUS_NAMES = Object.keys(status).filter((k) => Number.isNaN(Number(k)) && k !== 'OK') as [string, ...string[]];

/** Faults to inject; also the body of `PUT /faults` on the admin port. */
export const faultSettingsSchema = z.strictObject({
  /** Added before the handler runs. */
  latencyMs: z.number().int().min(0).max(120_000).default(0),
  /** Fraction of calls answered with `errorCode` instead of running. */
  errorRate: z.number().min(0).max(1).default(0),
  errorCode: z.enum(STATUS_NAMES).default('UNAVAILABLE'),
  /** Never answer: the call ends only when the client cancels or its deadline passes. */
  hang: z.boolean().default(false),
  /** Methods affected; empty means all. */
  methods: z.array(z.string()).default([]),
});
export type FaultSettings = z.infer<typeof faultSettingsSchema>;

/**
 * Fault injection for tests and demos, as a server interceptor: latency before a call goes
 * on, an error instead of it, or no answer at all, for every method or those named. Faults
 * are off unless config enables them; production refuses to enable them (config validation).
 */
export class FaultInjector {
  #settings: FaultSettings;
  readonly #injected: Counter<'grpc_method' | 'kind'>;

  constructor(
    readonly enabled: boolean,
    initial: FaultSettings,
    registry: Registry,
    private readonly logger: Logger,
    private readonly random: () => number = Math.random,
  ) {
    this.#settings = initial;
    this.#injected = new Counter({
      name: 'fault_injected_total',
      help: 'Injected faults, by method and kind.',
      labelNames: ['grpc_method', 'kind'],
      registers: [registry],
    });
  }

  get settings(): FaultSettings {
    return this.#settings;
  }

  set settings(next: FaultSettings) {
    if (!this.enabled) throw new Error('fault injection is disabled');
    this.#settings = next;
    this.logger.warn({ faults: next }, 'fault settings changed');
  }

  /**
   * The interceptor: decides when a call's metadata arrives, with the settings of that
   * moment. A call held back by latency that is cancelled meanwhile never goes on.
   */
  readonly interceptor: ServerInterceptor = (descriptor, call) => {
    const method = methodName(descriptor.path);
    let cancelled = false;
    let timer: NodeJS.Timeout | undefined;
    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, pass) => {
            const f = this.#settings;
            if (!this.enabled || (f.methods.length > 0 && !f.methods.includes(method))) return pass(metadata);
            if (f.hang) return this.#injected.inc({ grpc_method: method, kind: 'hang' });
            const proceed = () => {
              if (cancelled) return;
              if (f.errorRate > 0 && this.random() < f.errorRate) {
                this.#injected.inc({ grpc_method: method, kind: 'error' });
                return call.sendStatus({
                  code: status[f.errorCode as keyof typeof status] as status,
                  details: `injected fault: ${f.errorCode}`,
                });
              }
              pass(metadata);
            };
            if (f.latencyMs === 0) return proceed();
            this.#injected.inc({ grpc_method: method, kind: 'latency' });
            timer = setTimeout(proceed, f.latencyMs);
          },
          onCancel: () => {
            cancelled = true;
            clearTimeout(timer);
          },
        }),
    });
  };
}
