import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isConfigError } from '../errors/ConfigError.js';
import { lifecycleSchema, port } from './commonSchemas.js';
import { loadConfig } from './loadConfig.js';

const schema = z.strictObject({
  http: z
    .strictObject({ port: port.default(8080), requestTimeoutMs: z.number().int().positive().default(2000) })
    .prefault({}),
  auth: z.strictObject({ algorithms: z.array(z.string()).default(['ES256']) }).prefault({}),
  lifecycle: lifecycleSchema,
});

const file = (yaml: string) => {
  const path = join(mkdtempSync(join(tmpdir(), 'pm-config-')), 'config.yaml');
  writeFileSync(path, yaml);
  return path;
};

const failure = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    if (isConfigError(error))
      return { key: error.key, source: error.source, reason: error.reason, message: error.message };
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('loadConfig', () => {
  it('applies defaults, then the file, then PM_ overrides parsed as YAML scalars', () => {
    const path = file('http:\n  port: 9000\n');
    const config = loadConfig(schema, {
      file: path,
      env: { PM_HTTP__REQUEST_TIMEOUT_MS: '500', PM_AUTH__ALGORITHMS: '[ES256, EdDSA]', OTHER: 'x' },
    });
    expect(config.http).toEqual({ port: 9000, requestTimeoutMs: 500 });
    expect(config.auth.algorithms).toEqual(['ES256', 'EdDSA']);
    expect(config.lifecycle.shutdownTimeoutSeconds).toBe(20);
  });

  it('names the key, the file and the reason for a bad value in the file', () => {
    const path = file('http:\n  port: 99999\n');
    const error = failure(() => loadConfig(schema, { file: path, env: {} }));
    expect(error).toMatchObject({ key: 'http.port', source: path });
    expect(error.message).toContain(`http.port (from ${path})`);
    expect(error.reason).toMatch(/65535/);
  });

  it('names the environment variable when an override is bad', () => {
    const error = failure(() => loadConfig(schema, { env: { PM_HTTP__PORT: 'eighty' } }));
    expect(error).toMatchObject({ key: 'http.port', source: 'environment variable PM_HTTP__PORT' });
  });

  it('names the variable of a key in an unknown section, not the file', () => {
    const error = failure(() => loadConfig(schema, { file: file('http:\n  port: 81\n'), env: { PM_GRPC__PORT: '1' } }));
    expect(error).toMatchObject({ key: 'grpc', source: 'environment variable PM_GRPC__PORT', reason: 'unknown key' });
  });

  it('leaves PM_TEST_* switches to the test harness instead of reading them as keys', () => {
    expect(loadConfig(schema, { env: { PM_TEST_DISABLE_DRAIN: '1' } }).http.port).toBe(8080);
  });

  it("leaves the project's tooling variables (one segment, no section) alone, and refuses a key written with one _", () => {
    expect(loadConfig(schema, { env: { PM_DEV_DIR: '/tmp/dev', PM_TOOLS_DIR: '/tmp/tools' } }).http.port).toBe(8080);
    const error = failure(() => loadConfig(schema, { env: { PM_HTTP_PORT: '81' } }));
    expect(error).toMatchObject({ key: 'http', source: 'environment variable PM_HTTP_PORT' });
    expect(error.reason).toContain('PM_HTTP__PORT');
  });

  it('rejects unknown keys (typos) by name', () => {
    const error = failure(() => loadConfig(schema, { file: file('http:\n  prot: 1\n'), env: {} }));
    expect(error).toMatchObject({ key: 'http.prot', reason: 'unknown key' });
  });

  it('refuses a drain budget the pod grace period cannot hold', () => {
    const error = failure(() =>
      loadConfig(schema, {
        env: {
          PM_LIFECYCLE__SHUTDOWN_TIMEOUT_SECONDS: '26',
          PM_LIFECYCLE__PRE_STOP_SECONDS: '5',
          PM_LIFECYCLE__TERMINATION_GRACE_PERIOD_SECONDS: '30',
        },
      }),
    );
    expect(error.key).toBe('lifecycle.shutdownTimeoutSeconds');
    expect(error.reason).toMatch(/terminationGracePeriodSeconds/);
  });

  it('reports unreadable and malformed files', () => {
    expect(failure(() => loadConfig(schema, { file: '/nonexistent/config.yaml', env: {} })).reason).toMatch(
      /cannot read file/,
    );
    expect(failure(() => loadConfig(schema, { file: file('http: [unclosed'), env: {} })).reason).toMatch(
      /not valid YAML/,
    );
  });
});
