import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { recordingLogger } from '../testing/recordingLogger.js';
import { authSchema } from '../config/commonSchemas.js';
import { createTokenVerifier, type TokenVerifier } from './createTokenVerifier.js';

interface Key {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function newKey(kid: string): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

const sign = (key: Key, claims: { aud?: string; exp?: number } = {}) =>
  new SignJWT({ roles: ['clinician', 'not-a-role'] })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid })
    .setSubject('user-1')
    .setIssuer('patient-mesh')
    .setAudience(claims.aud ?? 'patient-api')
    .setExpirationTime(claims.exp ?? Math.floor(Date.now() / 1000) + 600)
    .sign(key.privateKey);

/** Replaces the file in one step (a new inode), as the kubelet's symlink swap does. */
function writeJwks(file: string, content: string): void {
  writeFileSync(`${file}.tmp`, content);
  renameSync(`${file}.tmp`, file);
}

describe('createTokenVerifier', () => {
  let verifier: TokenVerifier | undefined;
  afterEach(() => verifier?.close());

  async function setup() {
    const file = join(mkdtempSync(join(tmpdir(), 'pm-jwks-')), 'jwks.json');
    const [a, b] = [await newKey('a'), await newKey('b')];
    writeJwks(file, JSON.stringify({ keys: [a.jwk] }));
    const log = recordingLogger();
    const config = authSchema.parse({ jwksFile: file, jwksRefreshSeconds: 1 });
    verifier = createTokenVerifier(config, { logger: log.logger });
    return { file, a, b, log, verifier };
  }

  it('takes actor and known roles from the verified claims', async () => {
    const { a, verifier } = await setup();
    expect(await verifier.verify(await sign(a))).toEqual({ sub: 'user-1', roles: ['clinician'] });
  });

  it('refuses expired, wrong-audience and unknown-key tokens with a reason', async () => {
    const { a, b, verifier } = await setup();
    const past = Math.floor(Date.now() / 1000) - 3600;
    await expect(verifier.verify(await sign(a, { exp: past }))).rejects.toMatchObject({ reason: 'token expired' });
    await expect(verifier.verify(await sign(a, { aud: 'other' }))).rejects.toMatchObject({
      reason: 'claim aud is not acceptable',
    });
    await expect(verifier.verify(await sign(b))).rejects.toMatchObject({ reason: 'no matching signing key' });
  });

  it('applies an added key and drops a removed one when the file changes, without a restart', async () => {
    const { file, a, b, log, verifier } = await setup();
    const [tokenA, tokenB] = [await sign(a), await sign(b)];
    expect((await verifier.verify(tokenA)).sub).toBe('user-1'); // now cached

    let reloaded = log.next('jwks reloaded');
    writeJwks(file, JSON.stringify({ keys: [a.jwk, b.jwk] }));
    expect(await reloaded).toMatchObject({ kids: ['a', 'b'] });
    expect((await verifier.verify(tokenB)).sub).toBe('user-1');

    reloaded = log.next('jwks reloaded');
    writeJwks(file, JSON.stringify({ keys: [b.jwk] }));
    await reloaded;
    // The cache is emptied on reload: a token of the removed key stops verifying at once.
    await expect(verifier.verify(tokenA)).rejects.toMatchObject({ reason: 'no matching signing key' });

    const failed = log.next('jwks reload failed; previous keys kept');
    writeJwks(file, '{ not json');
    await failed;
    expect((await verifier.verify(tokenB)).sub).toBe('user-1');
  });
});
