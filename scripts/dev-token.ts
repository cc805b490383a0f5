// Mints signed development tokens for patient-api.
//
//   node scripts/dev-token.ts --init                 create .dev/ keys (ES256) if absent
//   node scripts/dev-token.ts --jwks                 print the public JWKS
//   node scripts/dev-token.ts --role clinician       print a token (roles comma-separated)
//       [--sub dev-clinician] [--ttl 3600] [--iss patient-mesh] [--aud patient-api] [--dir .dev]
//
// Real signed tokens: patient-api has no "accept any token" mode.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';

const { values } = parseArgs({
  options: {
    init: { type: 'boolean', default: false },
    jwks: { type: 'boolean', default: false },
    role: { type: 'string', default: 'clinician' },
    sub: { type: 'string' },
    ttl: { type: 'string', default: '3600' },
    iss: { type: 'string', default: 'patient-mesh' },
    aud: { type: 'string', default: 'patient-api' },
    dir: { type: 'string', default: join(import.meta.dirname, '..', '.dev') },
  },
});

const privatePath = join(values.dir, 'dev-key.private.jwk.json');
const jwksPath = join(values.dir, 'jwks.json');

if (values.init) {
  if (!existsSync(privatePath)) {
    mkdirSync(values.dir, { recursive: true });
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const kid = `dev-${Date.now().toString(36)}`;
    const jwk = { ...(await exportJWK(privateKey)), kid, alg: 'ES256', use: 'sig' };
    const pub = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
    writeFileSync(privatePath, JSON.stringify(jwk), { mode: 0o600 });
    writeFileSync(jwksPath, JSON.stringify({ keys: [pub] }, null, 2));
  }
  process.stdout.write(`${jwksPath}\n`);
} else if (values.jwks) {
  process.stdout.write(readFileSync(jwksPath, 'utf8'));
} else {
  const jwk = JSON.parse(readFileSync(privatePath, 'utf8')) as JWK;
  const key = await importJWK(jwk, 'ES256');
  const roles = values.role
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  const token = await new SignJWT({ roles })
    .setProtectedHeader({ alg: 'ES256', kid: jwk.kid!, typ: 'JWT' })
    .setSubject(values.sub ?? `dev-${roles[0] ?? 'user'}`)
    .setIssuer(values.iss)
    .setAudience(values.aud)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + Number(values.ttl))
    .sign(key);
  process.stdout.write(`${token}\n`);
}
