import { status, type ServiceError } from '@grpc/grpc-js';
import { trace } from '@opentelemetry/api';
import {
  bulkhead,
  type BulkheadPolicy,
  circuitBreaker,
  CircuitState,
  ExponentialBackoff,
  handleWhen,
  retry,
  SamplingBreaker,
  TaskCancelledError,
  timeout,
  TimeoutStrategy,
  wrap,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ApiConfig } from '../../config.js';
import type { UnaryMethod } from '../UnaryMethod.js';
import { RetryBudget } from './RetryBudget.js';

export type ResilienceConfig = ApiConfig['resilience'];

/**
 * Whether each unary method is safe to call twice: reads, and submissions keyed by a
 * client-chosen id. Keyed by the method union, so a method added to the proto does not
 * compile until someone decides whether it may be retried.
 */
const IDEMPOTENT: Readonly<Record<UnaryMethod, boolean>> = {
  GetPatient: true,
  ListPatients: true,
  CreatePatient: false,
  SubmitQuestionnaire: true,
  ListAuditRecords: true,
  GetAuditProof: true,
  GetAuditConsistency: true,
  GetImport: true,
};
const isIdempotent = (method: UnaryMethod): boolean => IDEMPOTENT[method];

/** Upstream failures that count against the breaker (not the caller's own mistakes). */
const UPSTREAM_FAILURES: ReadonlySet<number> = new Set([
  status.UNAVAILABLE,
  status.DEADLINE_EXCEEDED,
  status.RESOURCE_EXHAUSTED,
  status.INTERNAL,
  status.UNKNOWN,
  status.DATA_LOSS,
]);
const RETRYABLE: ReadonlySet<number> = new Set([status.UNAVAILABLE, status.RESOURCE_EXHAUSTED]);
/** The `reason` label of a retry: a retryable code's name, or a timed-out attempt. */
const ATTEMPT_TIMEOUT = 'ATTEMPT_TIMEOUT';
const RETRY_REASONS = [...[...RETRYABLE].map((code) => status[code]), ATTEMPT_TIMEOUT];

const grpcCode = (e: unknown): number | undefined =>
  e instanceof Error && typeof (e as Partial<ServiceError>).code === 'number' ? (e as ServiceError).code : undefined;

/**
 * A timed-out attempt: cockatiel's TaskCancelledError (its `name` is plain 'Error', so it is
 * known by class), or the gRPC deadline itself.
 */
const isAttemptTimeout = (e: unknown): boolean =>
  e instanceof TaskCancelledError || grpcCode(e) === status.DEADLINE_EXCEEDED;

const BREAKER_STATE: Record<CircuitState, number> = {
  [CircuitState.Closed]: 0,
  [CircuitState.HalfOpen]: 1,
  [CircuitState.Open]: 2,
  [CircuitState.Isolated]: 2,
};

/** The `to` label of a breaker transition. */
const stateName = (state: CircuitState): string => CircuitState[state].toLowerCase();

export interface Resilience {
  /**
   * Runs `attempt` under the method's policy: bulkhead → retry → breaker → per-attempt
   * timeout. `signal` is the request's overall budget; each attempt gets its own signal,
   * which cancels the gRPC call when the attempt times out or the budget ends.
   */
  execute<T>(method: UnaryMethod, attempt: (signal: AbortSignal) => Promise<T>, signal: AbortSignal): Promise<T>;
  /** Seconds until the breaker tries a probe; for Retry-After. */
  readonly retryAfterSeconds: number;
  /** Each attempt's time limit; also caps the gRPC deadline sent. */
  readonly attemptTimeoutMs: number;
}

/**
 * The client policies towards patient-rpc: one breaker for the upstream, a bulkhead and a
 * retry policy per method. Cockatiel's traps are handled here: `maxAttempts` counts
 * retries, not calls; the wait between retries ignores the signal (each attempt checks
 * it first); the timeout aborts its signal on return (`abortOnReturn: false`, since the
 * call has settled by then anyway).
 *
 * `methods` are the unary methods calls go through here (names as the proto declares
 * them): their series start at 0, so the resilience panels read 0 before the first retry,
 * timeout or rejection rather than nothing.
 */
export function createResilience(
  config: ResilienceConfig,
  registry: Registry,
  methods: readonly UnaryMethod[] = [],
  upstream = 'patient-rpc',
): Resilience {
  const metrics = createResilienceMetrics(registry, methods, upstream);
  const budget = new RetryBudget(config.retry.budgetRatio, config.retry.budgetMinPerSecond);

  const breaker: CircuitBreakerPolicy = circuitBreaker(
    handleWhen((e) => UPSTREAM_FAILURES.has(grpcCode(e) ?? -1) || isAttemptTimeout(e)),
    {
      halfOpenAfter: config.breaker.halfOpenAfterMs,
      breaker: new SamplingBreaker({
        threshold: config.breaker.failureRatio,
        duration: config.breaker.windowMs,
        // "at least N requests in the window"; cockatiel's default (5/threshold rps) would
        // keep a low-traffic breaker closed forever.
        minimumRps: config.breaker.minimumRequests / (config.breaker.windowMs / 1000),
      }),
    },
  );
  metrics.breakerState.set({ upstream }, 0);
  breaker.onStateChange((state) => {
    metrics.breakerState.set({ upstream }, BREAKER_STATE[state]);
    metrics.breakerTransitions.inc({ upstream, to: stateName(state) });
    trace.getActiveSpan()?.addEvent('breaker.state_change', { upstream, state: CircuitState[state] });
  });

  const attemptTimeout = timeout(config.attemptTimeoutMs, {
    strategy: TimeoutStrategy.Aggressive,
    abortOnReturn: false,
  });
  attemptTimeout.onTimeout(() => trace.getActiveSpan()?.addEvent('rpc.attempt_timeout'));
  const bulkheads = new Map<UnaryMethod, BulkheadPolicy>();
  const bulkheadFor = (method: UnaryMethod) => {
    let b = bulkheads.get(method);
    if (!b) {
      b = bulkhead(config.bulkhead.maxConcurrent, config.bulkhead.queue);
      b.onReject(() => {
        metrics.bulkheadRejections.inc({ method });
        trace.getActiveSpan()?.addEvent('bulkhead.rejected', { method });
      });
      bulkheads.set(method, b);
    }
    return b;
  };

  const policyFor = (method: UnaryMethod, deadlineSignal: AbortSignal) => {
    if (!isIdempotent(method)) return wrap(bulkheadFor(method), breaker, attemptTimeout);
    const retryPolicy = retry(
      handleWhen((e) => {
        if (deadlineSignal.aborted) return false;
        const code = grpcCode(e);
        const reason =
          code !== undefined && RETRYABLE.has(code) ? status[code] : isAttemptTimeout(e) ? ATTEMPT_TIMEOUT : undefined;
        if (!reason || !budget.tryWithdraw()) return false;
        metrics.retries.inc({ method, reason });
        trace.getActiveSpan()?.addEvent('rpc.retry', { method, reason });
        return true;
      }),
      {
        maxAttempts: config.retry.maxRetries,
        backoff: new ExponentialBackoff({
          initialDelay: config.retry.initialDelayMs,
          maxDelay: config.retry.maxDelayMs,
        }),
      },
    );
    return wrap(bulkheadFor(method), retryPolicy, breaker, attemptTimeout);
  };

  return {
    attemptTimeoutMs: config.attemptTimeoutMs,
    get retryAfterSeconds() {
      return Math.max(1, Math.ceil(config.breaker.halfOpenAfterMs / 1000));
    },
    async execute(method, attempt, signal) {
      budget.deposit();
      try {
        return await policyFor(method, signal).execute(async ({ signal: attemptSignal }) => {
          // The backoff wait before a retry does not watch the signal: check it here.
          if (signal.aborted) throw signal.reason;
          try {
            return await attempt(attemptSignal);
          } catch (error) {
            // The attempt timeout aborts the call, and the call's own CANCELLED can settle
            // before cockatiel's TaskCancelledError does: it is the timeout all the same,
            // counted by the breaker and retried as one (a silent partition is all timeouts).
            if (attemptSignal.aborted && !signal.aborted)
              throw new TaskCancelledError(`attempt timed out after ${config.attemptTimeoutMs}ms`);
            throw error;
          }
        }, signal);
      } catch (error) {
        if (isAttemptTimeout(error)) metrics.timeouts.inc({ method });
        throw error;
      }
    },
  };
}

/** The policies' metrics; every label combination known here starts at 0. */
function createResilienceMetrics(registry: Registry, methods: readonly UnaryMethod[], upstream: string) {
  const metrics = {
    breakerState: new Gauge({
      name: 'rpc_client_breaker_state',
      help: 'Circuit breaker state towards the upstream: 0 closed, 1 half-open, 2 open.',
      labelNames: ['upstream'] as const,
      registers: [registry],
    }),
    breakerTransitions: new Counter({
      name: 'rpc_client_breaker_transitions_total',
      help: 'Circuit breaker state changes, by the state entered.',
      labelNames: ['upstream', 'to'] as const,
      registers: [registry],
    }),
    retries: new Counter({
      name: 'rpc_client_retries_total',
      help: 'Retried rpc attempts, by method and reason.',
      labelNames: ['method', 'reason'] as const,
      registers: [registry],
    }),
    timeouts: new Counter({
      name: 'rpc_client_timeouts_total',
      help: 'rpc calls that failed on a timed-out attempt, by method.',
      labelNames: ['method'] as const,
      registers: [registry],
    }),
    bulkheadRejections: new Counter({
      name: 'rpc_client_bulkhead_rejections_total',
      help: 'rpc calls rejected because the method bulkhead and its queue were full.',
      labelNames: ['method'] as const,
      registers: [registry],
    }),
  };
  for (const state of Object.keys(BREAKER_STATE).map(Number) as CircuitState[])
    metrics.breakerTransitions.inc({ upstream, to: stateName(state) }, 0);
  for (const method of methods) {
    metrics.timeouts.inc({ method }, 0);
    metrics.bulkheadRejections.inc({ method }, 0);
    if (isIdempotent(method)) for (const reason of RETRY_REASONS) metrics.retries.inc({ method, reason }, 0);
  }
  return metrics;
}
