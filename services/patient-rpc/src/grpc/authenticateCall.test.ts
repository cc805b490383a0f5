import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PeerCertificate } from 'node:tls';
import { Metadata, status } from '@grpc/grpc-js';
import { authSchema, createTokenVerifier } from '@patient-mesh/runtime';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { Counter, Registry } from 'prom-client';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCallAuthenticator, type IncomingCall } from './authenticateCall.js';

const API = 'spiffe://td/ns/pm/sa/patient-api';
let sign: (claims?: { sub?: string; roles?: string[] }) => Promise<string>;
let jwksFile: string;

beforeAll(async () => {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  jwksFile = join(mkdtempSync(join(tmpdir(), 'pm-auth-')), 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k', alg: 'ES256' }] }));
  sign = (claims = {}) =>
    new SignJWT({ roles: claims.roles ?? ['clinician'] })
      .setProtectedHeader({ alg: 'ES256', kid: 'k' })
      .setSubject(claims.sub ?? 'dr-who')
      .setIssuer('patient-mesh')
      .setAudience('patient-api')
      .setExpirationTime('10m')
      .sign(privateKey);
});

function setup(tlsMode: 'mtls' | 'mesh' | 'plaintext') {
  const registry = new Registry();
  const rejections = new Counter({ name: 'r', help: 'r', labelNames: ['reason'] as const, registers: [registry] });
  const tokens = createTokenVerifier(authSchema.parse({ jwksFile }));
  const authenticate = createCallAuthenticator({ tlsMode, allowedClients: [API] }, { tokens, rejections });
  const count = async (reason: string) =>
    (await rejections.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;
  return { authenticate, count };
}

function call(entries: Record<string, string>, subjectaltname?: string): IncomingCall {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(entries)) metadata.set(key, value);
  return {
    metadata,
    getPeer: () => '127.0.0.1:40000',
    getAuthContext: () =>
      subjectaltname === undefined
        ? {}
        : { transportSecurityType: 'ssl', sslPeerCertificate: { subjectaltname } as PeerCertificate },
  };
}

const forged = { 'x-actor-sub': 'admin', 'x-actor-roles': 'clinician,auditor,importer' };

describe('createCallAuthenticator', () => {
  it('takes the user from the verified token, never from asserted metadata', async () => {
    const { authenticate } = setup('mtls');
    const bearer = `Bearer ${await sign({ sub: 'dr-who', roles: ['auditor'] })}`;
    expect(
      await authenticate(call({ ...forged, authorization: bearer, 'x-request-id': 'req-1' }, `URI:${API}`)),
    ).toEqual({ principal: { sub: 'dr-who', roles: ['auditor'] }, requestId: 'req-1' });
    const odd = await authenticate(
      call({ authorization: bearer, 'x-request-id': 'has spaces; and {json}' }, `URI:${API}`),
    );
    expect(odd.requestId).toBe('');
  });

  it('refuses a peer that is not allowed, naming it for the audit trail', async () => {
    const { authenticate, count } = setup('mtls');
    const bearer = `Bearer ${await sign()}`;
    const intruder = 'spiffe://td/ns/pm/sa/intruder';
    await expect(authenticate(call({ authorization: bearer }, `URI:${intruder}`))).rejects.toMatchObject({
      code: status.PERMISSION_DENIED,
      reason: 'peer_not_allowed',
      actor: intruder,
      audited: true,
    });
    await expect(authenticate(call({ authorization: bearer }, 'DNS:patient-api'))).rejects.toMatchObject({
      code: status.PERMISSION_DENIED,
      actor: 'peer-without-spiffe-id',
    });
    expect(await count('peer_not_allowed')).toBe(2);
  });

  it('refuses a missing or unverifiable token from the allowed peer', async () => {
    const { authenticate, count } = setup('mtls');
    await expect(authenticate(call(forged, `URI:${API}`))).rejects.toMatchObject({
      code: status.UNAUTHENTICATED,
      reason: 'token_missing',
      actor: API,
    });
    const [header, payload] = (await sign()).split('.');
    await expect(
      authenticate(call({ authorization: `Bearer ${header}.${payload}.AAAA` }, `URI:${API}`)),
    ).rejects.toMatchObject({
      code: status.UNAUTHENTICATED,
      reason: 'token_invalid',
      message: expect.stringMatching(/^token not acceptable: /),
    });
    expect([await count('token_missing'), await count('token_invalid')]).toEqual([1, 1]);
  });

  it('does not audit refusals of an unauthenticated (plaintext) peer', async () => {
    const { authenticate } = setup('plaintext');
    await expect(authenticate(call(forged))).rejects.toMatchObject({ reason: 'token_missing', audited: false });
  });
});
