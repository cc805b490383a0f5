import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig } from './loadConfig.js';

const schema = z.strictObject({
  lifecycle: z.strictObject({ shutdownTimeoutSeconds: z.number().default(20) }).prefault({}),
});

describe('loadConfig', () => {
  it('reads PM_ variables as config and rejects unknown keys', () => {
    expect(loadConfig(schema, { env: { PM_LIFECYCLE__SHUTDOWN_TIMEOUT_SECONDS: '8' } })).toEqual({
      lifecycle: { shutdownTimeoutSeconds: 8 },
    });
    expect(() => loadConfig(schema, { env: { PM_LIFECYCLE__NOPE: '1' } })).toThrow(/unknown key/);
  });

  it('leaves PM_TEST_* switches to main.ts', () => {
    expect(loadConfig(schema, { env: { PM_TEST_DISABLE_DRAIN: '1' } })).toEqual({
      lifecycle: { shutdownTimeoutSeconds: 20 },
    });
  });
});
