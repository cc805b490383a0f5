import { status } from '@grpc/grpc-js';
import { BrokenCircuitError, BulkheadRejectedError, TaskCancelledError } from 'cockatiel';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { apiConfigSchema } from '../../config.js';
import type { UnaryMethod } from '../UnaryMethod.js';
import { createResilience } from './createResilience.js';

const series = async (registry: Registry, name: string) =>
  (await registry.metrics()).split('\n').filter((l) => l.startsWith(`${name}{`));

describe('createResilience metrics', () => {
  it('a fresh registry renders every method, retry reason and breaker state at 0', async () => {
    const registry = new Registry();
    createResilience(apiConfigSchema.shape.resilience.parse(undefined), registry, ['GetPatient', 'CreatePatient']);

    expect(await series(registry, 'rpc_client_timeouts_total')).toEqual([
      'rpc_client_timeouts_total{method="GetPatient"} 0',
      'rpc_client_timeouts_total{method="CreatePatient"} 0',
    ]);
    expect(await series(registry, 'rpc_client_bulkhead_rejections_total')).toEqual([
      'rpc_client_bulkhead_rejections_total{method="GetPatient"} 0',
      'rpc_client_bulkhead_rejections_total{method="CreatePatient"} 0',
    ]);
    // Only idempotent methods are retried: CreatePatient has no retry series.
    expect(await series(registry, 'rpc_client_retries_total')).toEqual([
      'rpc_client_retries_total{method="GetPatient",reason="UNAVAILABLE"} 0',
      'rpc_client_retries_total{method="GetPatient",reason="RESOURCE_EXHAUSTED"} 0',
      'rpc_client_retries_total{method="GetPatient",reason="ATTEMPT_TIMEOUT"} 0',
    ]);
    expect((await series(registry, 'rpc_client_breaker_transitions_total')).sort()).toEqual([
      'rpc_client_breaker_transitions_total{upstream="patient-rpc",to="closed"} 0',
      'rpc_client_breaker_transitions_total{upstream="patient-rpc",to="halfopen"} 0',
      'rpc_client_breaker_transitions_total{upstream="patient-rpc",to="isolated"} 0',
      'rpc_client_breaker_transitions_total{upstream="patient-rpc",to="open"} 0',
    ]);
    expect(await series(registry, 'rpc_client_breaker_state')).toEqual([
      'rpc_client_breaker_state{upstream="patient-rpc"} 0',
    ]);
  });
});

describe('createResilience attempt timeout', () => {
  /** A call that never answers, and rejects CANCELLED as soon as its signal aborts (as grpc-js does). */
  const hangingCall = (signal: AbortSignal) =>
    new Promise<never>((_resolve, reject) =>
      signal.addEventListener('abort', () =>
        reject(Object.assign(new Error('1 CANCELLED: Cancelled on client'), { code: status.CANCELLED, details: '' })),
      ),
    );

  it('a timed-out attempt is a timeout (retried, counted by the breaker), not the CANCELLED of the aborted call', async () => {
    const registry = new Registry();
    const config = apiConfigSchema.shape.resilience.parse({
      attemptTimeoutMs: 20,
      retry: { maxRetries: 0 },
      breaker: { minimumRequests: 3, windowMs: 10_000, halfOpenAfterMs: 60_000 },
    });
    const resilience = createResilience(config, registry, ['GetPatient']);
    const call = () => resilience.execute('GetPatient', hangingCall, new AbortController().signal);
    for (let i = 0; i < 3; i++) await expect(call()).rejects.toBeInstanceOf(TaskCancelledError);
    expect(await series(registry, 'rpc_client_timeouts_total')).toEqual([
      'rpc_client_timeouts_total{method="GetPatient"} 3',
    ]);
    // Three timeouts in the window open the breaker: the next call fails fast.
    expect(await series(registry, 'rpc_client_breaker_state')).toEqual([
      'rpc_client_breaker_state{upstream="patient-rpc"} 2',
    ]);
    await expect(call()).rejects.toBeInstanceOf(BrokenCircuitError);
  });
});

describe('createResilience policies, on a fake clock', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    // The backoff's jitter, fixed: the first retry waits about 0.9 × initialDelayMs.
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  const failure = (code: status) =>
    Object.assign(new Error(`${code} ${status[code]}`), { code, details: status[code], metadata: undefined });

  /** The upstream under test: every attempt is kept, with its signal, and settles when the test says. */
  function upstream() {
    const attempts: { signal: AbortSignal; resolve(value: string): void; reject(error: unknown): void }[] = [];
    const attempt = (signal: AbortSignal) =>
      new Promise<string>((resolve, reject) => attempts.push({ signal, resolve, reject }));
    return { attempts, attempt };
  }

  /** A call's outcome once it settles; `pending` until then. */
  function outcome<T>(promise: Promise<T>) {
    const seen: { state: 'pending' | 'resolved' | 'rejected'; value?: T; error?: unknown } = { state: 'pending' };
    promise.then(
      (value) => Object.assign(seen, { state: 'resolved', value }),
      (error: unknown) => Object.assign(seen, { state: 'rejected', error }),
    );
    return seen;
  }

  const resilienceWith = (overrides: object, methods: UnaryMethod[] = ['GetPatient', 'CreatePatient']) => {
    const registry = new Registry();
    const config = apiConfigSchema.shape.resilience.parse(overrides);
    return { registry, resilience: createResilience(config, registry, methods) };
  };
  const never = () => new AbortController().signal;

  it('times an attempt out at attemptTimeoutMs, cancelling its call, and counts it', async () => {
    const { registry, resilience } = resilienceWith({ attemptTimeoutMs: 1000, retry: { maxRetries: 0 } });
    const { attempts, attempt } = upstream();
    const call = outcome(resilience.execute('CreatePatient', attempt, never()));
    await vi.advanceTimersByTimeAsync(999);
    expect(call.state).toBe('pending');
    expect(attempts[0]!.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(call.state).toBe('rejected');
    expect(call.error).toBeInstanceOf(TaskCancelledError);
    expect(attempts[0]!.signal.aborted).toBe(true);
    expect(attempts).toHaveLength(1);
    expect(await series(registry, 'rpc_client_timeouts_total')).toContain(
      'rpc_client_timeouts_total{method="CreatePatient"} 1',
    );
  });

  it('retries an idempotent call on UNAVAILABLE after a backoff, up to maxRetries', async () => {
    const { registry, resilience } = resilienceWith({
      retry: { maxRetries: 2, initialDelayMs: 100, maxDelayMs: 100, budgetMinPerSecond: 10 },
    });
    const { attempts, attempt } = upstream();
    const call = outcome(resilience.execute('GetPatient', attempt, never()));
    await vi.advanceTimersByTimeAsync(0);
    attempts[0]!.reject(failure(status.UNAVAILABLE));
    // The retry waits for its backoff.
    await vi.advanceTimersByTimeAsync(50);
    expect(attempts).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(50);
    expect(attempts).toHaveLength(2);
    attempts[1]!.reject(failure(status.RESOURCE_EXHAUSTED));
    await vi.advanceTimersByTimeAsync(100);
    attempts[2]!.resolve('patient');
    await vi.advanceTimersByTimeAsync(0);
    expect(call).toEqual({ state: 'resolved', value: 'patient' });
    const retries = await series(registry, 'rpc_client_retries_total');
    expect(retries).toContain('rpc_client_retries_total{method="GetPatient",reason="UNAVAILABLE"} 1');
    expect(retries).toContain('rpc_client_retries_total{method="GetPatient",reason="RESOURCE_EXHAUSTED"} 1');

    // Past maxRetries the last failure is the answer.
    const { attempts: more, attempt: again } = upstream();
    const failed = outcome(resilience.execute('GetPatient', again, never()));
    for (let i = 0; i < 3; i++) {
      await vi.advanceTimersByTimeAsync(100);
      more[i]!.reject(failure(status.UNAVAILABLE));
    }
    await vi.advanceTimersByTimeAsync(100);
    expect(more).toHaveLength(3);
    expect(failed.state).toBe('rejected');
    expect((failed.error as { code: number }).code).toBe(status.UNAVAILABLE);
  });

  it('retries neither a call that is not idempotent nor a failure the caller caused', async () => {
    const { resilience } = resilienceWith({ retry: { maxRetries: 3, budgetMinPerSecond: 10 } });
    for (const [method, code] of [
      ['CreatePatient', status.UNAVAILABLE],
      ['GetPatient', status.NOT_FOUND],
      ['GetPatient', status.INVALID_ARGUMENT],
    ] as const) {
      const { attempts, attempt } = upstream();
      const call = outcome(resilience.execute(method, attempt, never()));
      await vi.advanceTimersByTimeAsync(0);
      attempts[0]!.reject(failure(code));
      await vi.advanceTimersByTimeAsync(10_000);
      expect(attempts, `${method} ${status[code]}`).toHaveLength(1);
      expect((call.error as { code: number }).code).toBe(code);
    }
  });

  it('retries within the budget: a share of the calls made, plus a floor per second', async () => {
    const { resilience } = resilienceWith({
      retry: { maxRetries: 1, initialDelayMs: 10, maxDelayMs: 10, budgetRatio: 0.5, budgetMinPerSecond: 0 },
    });
    const attemptsOfCall = async () => {
      const { attempts, attempt } = upstream();
      void outcome(resilience.execute('GetPatient', attempt, never()));
      await vi.advanceTimersByTimeAsync(0);
      attempts[0]!.reject(failure(status.UNAVAILABLE));
      await vi.advanceTimersByTimeAsync(10);
      attempts[1]?.reject(failure(status.UNAVAILABLE));
      await vi.advanceTimersByTimeAsync(0);
      return attempts.length;
    };
    // Each call deposits half a token; a retry takes a whole one.
    expect(await attemptsOfCall()).toBe(1);
    expect(await attemptsOfCall()).toBe(2);
    expect(await attemptsOfCall()).toBe(1);

    const floor = resilienceWith({
      retry: { maxRetries: 1, initialDelayMs: 10, maxDelayMs: 10, budgetRatio: 0, budgetMinPerSecond: 1 },
    }).resilience;
    const floorAttempts = async () => {
      const { attempts, attempt } = upstream();
      void outcome(floor.execute('GetPatient', attempt, never()));
      await vi.advanceTimersByTimeAsync(0);
      attempts[0]!.reject(failure(status.UNAVAILABLE));
      await vi.advanceTimersByTimeAsync(10);
      attempts[1]?.reject(failure(status.UNAVAILABLE));
      await vi.advanceTimersByTimeAsync(0);
      return attempts.length;
    };
    expect(await floorAttempts()).toBe(2);
    expect(await floorAttempts()).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await floorAttempts()).toBe(2);
  });

  it('stops retrying once the request budget is spent, answering its reason', async () => {
    const { resilience } = resilienceWith({
      retry: { maxRetries: 3, initialDelayMs: 100, maxDelayMs: 100, budgetMinPerSecond: 10 },
    });
    const budget = new AbortController();
    const { attempts, attempt } = upstream();
    const call = outcome(resilience.execute('GetPatient', attempt, budget.signal));
    await vi.advanceTimersByTimeAsync(0);
    attempts[0]!.reject(failure(status.UNAVAILABLE));
    await vi.advanceTimersByTimeAsync(10);
    const spent = new DOMException('request budget spent', 'TimeoutError');
    budget.abort(spent);
    await vi.advanceTimersByTimeAsync(1000);
    expect(attempts).toHaveLength(1);
    expect(call).toEqual({ state: 'rejected', error: spent });
  });

  it('opens the breaker on upstream failures, fails fast, probes once after halfOpenAfterMs, and closes', async () => {
    const { registry, resilience } = resilienceWith({
      retry: { maxRetries: 0 },
      breaker: { minimumRequests: 4, windowMs: 10_000, failureRatio: 0.5, halfOpenAfterMs: 5000 },
    });
    const { attempts, attempt } = upstream();
    const state = async () => (await series(registry, 'rpc_client_breaker_state'))[0]!.split(' ')[1];

    // Failures the caller caused do not count.
    for (let i = 0; i < 6; i++) {
      const call = outcome(resilience.execute('GetPatient', attempt, never()));
      await vi.advanceTimersByTimeAsync(0);
      attempts.at(-1)!.reject(failure(status.NOT_FOUND));
      await vi.advanceTimersByTimeAsync(0);
      expect(call.state).toBe('rejected');
    }
    expect(await state()).toBe('0');

    for (let i = 0; i < 4; i++) {
      void outcome(resilience.execute('GetPatient', attempt, never()));
      await vi.advanceTimersByTimeAsync(0);
      attempts.at(-1)!.reject(failure(status.UNAVAILABLE));
      await vi.advanceTimersByTimeAsync(0);
    }
    expect(await state()).toBe('2');

    // Open: no call reaches the upstream.
    const before = attempts.length;
    const fast = outcome(resilience.execute('GetPatient', attempt, never()));
    await vi.advanceTimersByTimeAsync(4999);
    expect(fast.error).toBeInstanceOf(BrokenCircuitError);
    expect(attempts).toHaveLength(before);

    // After halfOpenAfterMs one probe goes through; calls made while it runs wait for its outcome.
    await vi.advanceTimersByTimeAsync(1);
    const probe = outcome(resilience.execute('GetPatient', attempt, never()));
    await vi.advanceTimersByTimeAsync(0);
    expect(attempts).toHaveLength(before + 1);
    expect(await state()).toBe('1');
    const during = outcome(resilience.execute('GetPatient', attempt, never()));
    await vi.advanceTimersByTimeAsync(0);
    expect(during.state).toBe('pending');
    expect(attempts).toHaveLength(before + 1);
    attempts.at(-1)!.resolve('ok');
    await vi.advanceTimersByTimeAsync(0);
    expect(probe).toEqual({ state: 'resolved', value: 'ok' });
    expect(await state()).toBe('0');
    // Closed again: the waiting call goes through.
    expect(attempts).toHaveLength(before + 2);
    attempts.at(-1)!.resolve('again');
    await vi.advanceTimersByTimeAsync(0);
    expect(during).toEqual({ state: 'resolved', value: 'again' });
    expect((await series(registry, 'rpc_client_breaker_transitions_total')).sort()).toEqual([
      'rpc_client_breaker_transitions_total{upstream="patient-rpc",to="closed"} 1',
      'rpc_client_breaker_transitions_total{upstream="patient-rpc",to="halfopen"} 1',
      'rpc_client_breaker_transitions_total{upstream="patient-rpc",to="isolated"} 0',
      'rpc_client_breaker_transitions_total{upstream="patient-rpc",to="open"} 1',
    ]);
  });

  it('opens again when the half-open probe fails', async () => {
    const { registry, resilience } = resilienceWith({
      retry: { maxRetries: 0 },
      breaker: { minimumRequests: 2, windowMs: 10_000, failureRatio: 0.5, halfOpenAfterMs: 1000 },
    });
    const { attempts, attempt } = upstream();
    for (let i = 0; i < 2; i++) {
      void outcome(resilience.execute('GetPatient', attempt, never()));
      await vi.advanceTimersByTimeAsync(0);
      attempts.at(-1)!.reject(failure(status.INTERNAL));
      await vi.advanceTimersByTimeAsync(0);
    }
    await vi.advanceTimersByTimeAsync(1000);
    void outcome(resilience.execute('GetPatient', attempt, never()));
    await vi.advanceTimersByTimeAsync(0);
    attempts.at(-1)!.reject(failure(status.UNAVAILABLE));
    await vi.advanceTimersByTimeAsync(0);
    expect(await series(registry, 'rpc_client_breaker_state')).toEqual([
      'rpc_client_breaker_state{upstream="patient-rpc"} 2',
    ]);
    const fast = outcome(resilience.execute('GetPatient', attempt, never()));
    await vi.advanceTimersByTimeAsync(0);
    expect(fast.error).toBeInstanceOf(BrokenCircuitError);
    expect(attempts).toHaveLength(3);
  });

  it('rejects a call at once when its method has maxConcurrent calls running and a full queue', async () => {
    const { registry, resilience } = resilienceWith({ bulkhead: { maxConcurrent: 1, queue: 0 } });
    const { attempts, attempt } = upstream();
    const first = outcome(resilience.execute('GetPatient', attempt, never()));
    const second = outcome(resilience.execute('GetPatient', attempt, never()));
    // Another method has a bulkhead of its own.
    const other = outcome(resilience.execute('CreatePatient', attempt, never()));
    await vi.advanceTimersByTimeAsync(0);
    expect(second.error).toBeInstanceOf(BulkheadRejectedError);
    expect(attempts).toHaveLength(2);
    attempts[0]!.resolve('one');
    attempts[1]!.resolve('two');
    await vi.advanceTimersByTimeAsync(0);
    expect([first.value, other.value]).toEqual(['one', 'two']);
    expect(await series(registry, 'rpc_client_bulkhead_rejections_total')).toContain(
      'rpc_client_bulkhead_rejections_total{method="GetPatient"} 1',
    );
  });
});

describe('resilience config', () => {
  it.each([0, 1, 1.5])(
    'refuses breaker.failureRatio %s, which cockatiel cannot build a breaker from',
    (failureRatio) => {
      const parsed = apiConfigSchema.shape.resilience.safeParse({ breaker: { failureRatio } });
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0]?.path).toEqual(['breaker', 'failureRatio']);
    },
  );

  it('builds the policies from every failure ratio it accepts', () => {
    for (const failureRatio of [0.01, 0.5, 0.99]) {
      const config = apiConfigSchema.shape.resilience.parse({ breaker: { failureRatio } });
      expect(() => createResilience(config, new Registry(), ['GetPatient'])).not.toThrow();
    }
  });
});
