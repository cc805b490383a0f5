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
