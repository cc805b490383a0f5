import { status } from '@grpc/grpc-js';
import { BrokenCircuitError, TaskCancelledError } from 'cockatiel';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { apiConfigSchema } from '../../config.js';
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
