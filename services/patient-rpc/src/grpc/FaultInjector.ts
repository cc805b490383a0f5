import { status, type handleUnaryCall, type UntypedHandleCall } from '@grpc/grpc-js';
import type { Logger } from '@patient-mesh/runtime';
import { Counter, type Registry } from 'prom-client';
import { z } from 'zod';

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
 * Fault injection for tests and demos, and the per-call counters that prove what the
 * server saw: calls that arrived and calls the client cancelled. Faults are off unless
 * config enables them; production refuses to enable them (config validation).
 */
export class FaultInjector {
  #settings: FaultSettings;
  readonly #arrived: Counter<'grpc_method'>;
  readonly #cancelled: Counter<'grpc_method'>;
  readonly #injected: Counter<'grpc_method' | 'kind'>;

  constructor(
    readonly enabled: boolean,
    initial: FaultSettings,
    registry: Registry,
    private readonly logger: Logger,
    private readonly random: () => number = Math.random,
  ) {
    this.#settings = initial;
    this.#arrived = new Counter({
      name: 'grpc_server_started_total',
      help: 'gRPC calls that arrived, by method.',
      labelNames: ['grpc_method'],
      registers: [registry],
    });
    this.#cancelled = new Counter({
      name: 'grpc_server_cancelled_total',
      help: 'gRPC calls cancelled by the client or its deadline while being handled, by method.',
      labelNames: ['grpc_method'],
      registers: [registry],
    });
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

  /** Wraps every unary handler: counts arrivals and cancellations, then injects faults. */
  wrap<H extends Record<string, UntypedHandleCall>>(handlers: H): H {
    const wrapped: Record<string, UntypedHandleCall> = {};
    for (const [method, handler] of Object.entries(handlers)) {
      wrapped[method] =
        handler.length === 2 && method !== 'ImportResponses'
          ? this.#wrapUnary(method, handler as handleUnaryCall<unknown, unknown>)
          : handler;
    }
    return wrapped as H;
  }

  #wrapUnary(method: string, handler: handleUnaryCall<unknown, unknown>): handleUnaryCall<unknown, unknown> {
    return (call, callback) => {
      this.#arrived.inc({ grpc_method: method });
      call.once('cancelled', () => this.#cancelled.inc({ grpc_method: method }));
      const f = this.#settings;
      if (!this.enabled || (f.methods.length > 0 && !f.methods.includes(method))) return handler(call, callback);
      if (f.hang) {
        this.#injected.inc({ grpc_method: method, kind: 'hang' });
        return;
      }
      const proceed = () => {
        if (call.cancelled) return;
        if (f.errorRate > 0 && this.random() < f.errorRate) {
          this.#injected.inc({ grpc_method: method, kind: 'error' });
          return callback({
            code: status[f.errorCode as keyof typeof status] as status,
            details: `injected fault: ${f.errorCode}`,
          });
        }
        return handler(call, callback);
      };
      if (f.latencyMs === 0) return proceed();
      this.#injected.inc({ grpc_method: method, kind: 'latency' });
      const timer = setTimeout(proceed, f.latencyMs);
      call.once('cancelled', () => clearTimeout(timer));
    };
  }
}
