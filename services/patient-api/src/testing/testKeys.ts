// A signing key for unit tests, its JWKS in a temporary file (what createTokenVerifier
// reads), and tokens signed by it or by a stranger's key under the same kid.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import type { Role } from '@patient-mesh/contract';

export interface TestTokenOptions {
  sub?: string;
  roles?: Role[];
  /** Seconds from now; negative for an expired token. */
  expiresIn?: number;
}

export interface TestKeys {
  jwksFile: string;
  token(options?: TestTokenOptions): Promise<string>;
  /** Signed by another key under the same kid: a signature that does not verify. */
  forged(options?: TestTokenOptions): Promise<string>;
  remove(): void;
}

const KID = 'unit-test';

function sign(key: CryptoKey, o: TestTokenOptions): Promise<string> {
  return new SignJWT({ roles: o.roles ?? ['clinician'] })
    .setProtectedHeader({ alg: 'ES256', kid: KID })
    .setSubject(o.sub ?? 'dr-test')
    .setIssuer('patient-mesh')
    .setAudience('patient-api')
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + (o.expiresIn ?? 600))
    .sign(key);
}

export async function createTestKeys(): Promise<TestKeys> {
  const [own, stranger] = await Promise.all([generateKeyPair('ES256'), generateKeyPair('ES256')]);
  const dir = mkdtempSync(join(tmpdir(), 'pm-api-unit-'));
  const jwksFile = join(dir, 'jwks.json');
  const jwk = { ...(await exportJWK(own.publicKey)), kid: KID, alg: 'ES256', use: 'sig' };
  writeFileSync(jwksFile, JSON.stringify({ keys: [jwk] }));
  return {
    jwksFile,
    token: (o = {}) => sign(own.privateKey, o),
    forged: (o = {}) => sign(stranger.privateKey, o),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
