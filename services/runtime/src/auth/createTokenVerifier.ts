import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from 'jose';
import { isRole, type Principal } from '@patient-mesh/contract';
import type { AuthConfig } from '../config/commonSchemas.js';
import type { Logger } from '../logger.js';
import { AuthError } from '../errors/AuthError.js';

export interface TokenVerifier {
  /** Verifies a bearer token; throws AuthError when it is not acceptable. */
  verify(token: string): Promise<Principal>;
  /** Stops watching the JWKS file. */
  close(): void;
}

export interface TokenVerifierOptions {
  /** Where JWKS reloads are reported (key ids only). */
  logger?: Logger;
  /** Verified tokens kept to skip repeated signature checks. Default 10 000. */
  cacheSize?: number;
  /** Longest a verified token is trusted without re-checking. Default 60 s. */
  cacheTtlMs?: number;
  now?: () => number;
}

/**
 * JWT bearer verification with jose: signature against the JWKS, issuer, audience, expiry
 * with a small clock tolerance, algorithms pinned to the configured asymmetric ones (so
 * `alg: none` and HS256-signed-with-the-public-key tokens fail). Verified tokens are cached
 * until their expiry or the cache TTL, whichever comes first.
 *
 * A `jwksFile` is re-read when it changes (checked every `jwksRefreshSeconds`: the kubelet
 * updates a mounted Secret by swapping a symlink, which a stat sees). A new key verifies
 * from the next check on; the cache is emptied on every reload, so a token whose key was
 * removed stops verifying at once. A file that no longer parses keeps the previous keys.
 */
export function createTokenVerifier(config: AuthConfig, options: TokenVerifierOptions = {}): TokenVerifier {
  const cacheSize = options.cacheSize ?? 10_000;
  const cacheTtlMs = options.cacheTtlMs ?? 60_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { principal: Principal; until: number }>();
  let keys: JWTVerifyGetKey;
  let close = () => {};

  if (config.jwksUrl) {
    keys = createRemoteJWKSet(new URL(config.jwksUrl), { cooldownDuration: 30_000, cacheMaxAge: 600_000 });
  } else {
    keys = localKeys(readFileSync(config.jwksFile, 'utf8'));
    const file = config.jwksFile;
    const onChange = (current: Stats, previous: Stats) => {
      if (current.mtimeMs === previous.mtimeMs && current.ino === previous.ino && current.size === previous.size)
        return;
      try {
        const text = readFileSync(file, 'utf8');
        keys = localKeys(text);
        cache.clear();
        options.logger?.info({ jwksFile: file, kids: keyIds(text) }, 'jwks reloaded');
      } catch (error) {
        options.logger?.error({ jwksFile: file, err: error }, 'jwks reload failed; previous keys kept');
      }
    };
    watchFile(file, { interval: config.jwksRefreshSeconds * 1000, persistent: false }, onChange);
    close = () => unwatchFile(file, onChange);
  }

  return {
    async verify(token) {
      const cached = cache.get(token);
      if (cached && cached.until > now()) return cached.principal;
      cache.delete(token);
      let payload;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          issuer: config.issuer,
          audience: config.audience,
          algorithms: config.algorithms,
          clockTolerance: config.clockToleranceSeconds,
          requiredClaims: ['sub', 'exp'],
          currentDate: new Date(now()),
        }));
      } catch (error) {
        throw new AuthError(reasonOf(error));
      }
      const roles = Array.isArray(payload['roles'])
        ? payload['roles'].filter((r): r is string => typeof r === 'string')
        : [];
      const principal: Principal = { sub: payload.sub!, roles: roles.filter(isRole) };
      if (cache.size >= cacheSize) cache.delete(cache.keys().next().value!);
      cache.set(token, { principal, until: Math.min(payload.exp! * 1000, now() + cacheTtlMs) });
      return principal;
    },
    close: () => close(),
  };
}

function localKeys(text: string): JWTVerifyGetKey {
  return createLocalJWKSet(JSON.parse(text) as JSONWebKeySet);
}

function keyIds(text: string): string[] {
  return ((JSON.parse(text) as JSONWebKeySet).keys ?? []).map((k) => k.kid ?? '?');
}

function reasonOf(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'token expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `claim ${error.claim} is not acceptable`;
  if (error instanceof errors.JOSEAlgNotAllowed) return 'signing algorithm not allowed';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'signature does not verify';
  if (error instanceof errors.JWKSNoMatchingKey) return 'no matching signing key';
  if (error instanceof errors.JWTInvalid || error instanceof errors.JWSInvalid) return 'malformed token';
  return 'token not acceptable';
}
