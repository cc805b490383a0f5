import { isConfigError, loadConfig } from '@patient-mesh/runtime';
import { describe, expect, it } from 'vitest';
import { rpcConfigSchema } from './config.js';

const base = { PM_AUTH__JWKS_FILE: '/keys/jwks.json' };
const mtls = {
  PM_TLS__MODE: 'mtls',
  PM_TLS__CERT_FILE: '/tls/tls.crt',
  PM_TLS__KEY_FILE: '/tls/tls.key',
  PM_TLS__CA_FILE: '/tls/ca.crt',
  PM_TLS__ALLOWED_CLIENTS: '[spiffe://cluster.local/ns/pm/sa/patient-api]',
};
const production = {
  PM_SERVICE__ENVIRONMENT: 'production',
  PM_AUDIT__CHECKPOINTS__SIGNING_KEY_FILE: '/audit/signing-key.pem',
};
const dbTls = { PM_DATABASE__TLS__MODE: 'verify-full', PM_DATABASE__TLS__CA_FILE: '/pg/ca.crt' };
const url = 'postgres://rpc:secret@db.pm.svc:5432/patients';

/** The key a config error names, or 'ok'. */
function refusal(env: Record<string, string>): string {
  try {
    loadConfig(rpcConfigSchema, { env: { ...base, ...env } });
    return 'ok';
  } catch (error) {
    if (isConfigError(error)) return `${error.key}: ${error.reason}`;
    throw error;
  }
}

describe('patient-rpc config: trust', () => {
  it('accepts production with mTLS and verify-full to PostgreSQL', () => {
    expect(refusal({ ...production, ...mtls, ...dbTls, PM_DATABASE__URL: url })).toBe('ok');
  });

  it('refuses production without a key to sign audit checkpoints, naming the key', () => {
    const { PM_AUDIT__CHECKPOINTS__SIGNING_KEY_FILE: _key, ...unsigned } = production;
    expect(refusal({ ...unsigned, ...mtls, ...dbTls, PM_DATABASE__URL: url })).toMatch(
      /^audit\.checkpoints\.signingKeyFile: production needs signed audit checkpoints/,
    );
    expect(refusal({ ...mtls, ...dbTls, PM_DATABASE__URL: url })).toBe('ok');
  });

  it('refuses plaintext between the services in production', () => {
    expect(refusal({ ...production, ...dbTls, PM_DATABASE__URL: url })).toMatch(/^tls\.mode: plaintext is refused/);
    expect(refusal({ ...production, ...mtls, PM_TLS__MODE: 'mesh', ...dbTls, PM_DATABASE__URL: url })).toBe('ok');
  });

  it('needs the files and the allowed peers in mtls mode', () => {
    expect(refusal({ ...mtls, PM_TLS__KEY_FILE: '' })).toMatch(/^tls\.keyFile: required/);
    expect(refusal({ ...mtls, PM_TLS__ALLOWED_CLIENTS: '[]' })).toMatch(/^tls\.allowedClients: required/);
    expect(refusal({ ...mtls, PM_TLS__ALLOWED_CLIENTS: '[patient-api]' })).toMatch(
      /^tls\.allowedClients\.0: must be a spiffe/,
    );
  });

  it('refuses a plaintext PostgreSQL connection in production, naming the key', () => {
    expect(refusal({ ...production, ...mtls, PM_DATABASE__URL: url })).toMatch(/^database\.tls\.mode: a plaintext/);
    expect(refusal({ ...production, ...mtls, PM_DATABASE__TLS__MODE: 'verify-full', PM_DATABASE__URL: url })).toMatch(
      /^database\.tls\.caFile: required/,
    );
  });

  it('refuses TLS settings in the URL, however they are spelled', () => {
    for (const query of ['?sslmode=disable', '?SSLMODE=require', '?%73slmode=disable', '?x=1&sslrootcert=/a'])
      expect(refusal({ ...dbTls, PM_DATABASE__URL: url + query })).toMatch(/^database\.url: TLS settings in the URL/);
  });

  it('needs a token source: patient-rpc verifies every user token itself', () => {
    expect(refusal({ PM_AUTH__JWKS_FILE: '' })).toMatch(/^auth\.jwksFile: set exactly one/);
  });
});
