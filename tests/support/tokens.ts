// A test signing key, its JWKS on disk, and tokens good and bad.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

export interface TokenOptions {
  sub?: string;
  roles?: string[];
  iss?: string;
  aud?: string;
  /** Seconds from now; negative for an expired token. */
  expiresIn?: number;
}

export interface TestKeys {
  jwksFile: string;
  publicJwk: JWK;
  token(options?: TokenOptions): Promise<string>;
  /** Signed by another key with the same kid. */
  forged(options?: TokenOptions): Promise<string>;
}

async function sign(key: CryptoKey, kid: string, o: TokenOptions): Promise<string> {
  return new SignJWT({ roles: o.roles ?? ['clinician'] })
    .setProtectedHeader({ alg: 'ES256', kid })
    .setSubject(o.sub ?? 'test-clinician')
    .setIssuer(o.iss ?? 'patient-mesh')
    .setAudience(o.aud ?? 'patient-api')
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + (o.expiresIn ?? 600))
    .sign(key);
}

export async function createTestKeys(kid = 'test-key'): Promise<TestKeys> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const other = await generateKeyPair('ES256');
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  const jwksFile = join(mkdtempSync(join(tmpdir(), 'pm-jwks-')), 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [publicJwk] }));
  return {
    jwksFile,
    publicJwk,
    token: (o = {}) => sign(privateKey, kid, o),
    forged: (o = {}) => sign(other.privateKey, kid, o),
  };
}

/** An unsigned token (`alg: none`). */
export function unsignedToken(o: TokenOptions = {}): string {
  const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: o.sub ?? 'x', roles: o.roles ?? ['clinician'], iss: 'patient-mesh', aud: 'patient-api', exp: now + 600 })}.`;
}

/** HS256 signed with the public key's JSON as the secret: the classic key-confusion attack. */
export async function hsWithPublicKey(publicJwk: JWK, o: TokenOptions = {}): Promise<string> {
  const secret = new TextEncoder().encode(JSON.stringify(publicJwk));
  return new SignJWT({ roles: o.roles ?? ['clinician'] })
    .setProtectedHeader({ alg: 'HS256', kid: publicJwk.kid! })
    .setSubject('attacker')
    .setIssuer('patient-mesh')
    .setAudience('patient-api')
    .setExpirationTime(Math.floor(Date.now() / 1000) + 600)
    .sign(secret);
}
