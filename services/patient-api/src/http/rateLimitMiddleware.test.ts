import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { apiConfigSchema } from '../config.js';
import { createRateLimiters } from './rateLimitMiddleware.js';

describe('createRateLimiters metrics', () => {
  it('a fresh registry renders both scopes at 0', async () => {
    const registry = new Registry();
    createRateLimiters(apiConfigSchema.shape.rateLimit.parse(undefined), registry);
    const lines = (await registry.metrics()).split('\n').filter((l) => l.startsWith('http_rate_limited_total{'));
    expect(lines).toEqual(['http_rate_limited_total{scope="global"} 0', 'http_rate_limited_total{scope="subject"} 0']);
  });
});
