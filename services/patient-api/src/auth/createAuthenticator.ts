import { readFileSync } from 'node:fs';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from 'jose';
import { isRole, type Principal } from '@patient-mesh/runtime';
import type { ApiConfig } from '../config.js';

/** A token that did not verify; `reason` is safe to show the client. */
export class AuthError extends Error {
  override readonly name = 'AuthError';
  constructor(readonly reason: string) {
    super(reason);
  }
}

export interface Authenticator {
  /** Verifies a bearer token; throws AuthError when it is not acceptable. */
  authenticate(token: string): Promise<Principal>;
}

export interface AuthenticatorOptions {
  /** Verified tokens kept to skip repeated signature checks. Default 10 000. */
  cacheSize?: number;
  /** Longest a verified token is trusted without re-checking (key rotation). Default 60 s. */
  cacheTtlMs?: number;
  now?: () => number;
}

/**
 * JWT bearer authentication with jose: signature against the JWKS, issuer, audience,
 * expiry with a small clock tolerance, algorithms pinned to the configured asymmetric
 * ones (so `alg: none` and HS256-signed-with-the-public-key tokens fail). Verified tokens
 * are cached until their expiry or the cache TTL, whichever comes first.
 */
export function createAuthenticator(config: ApiConfig['auth'], options: AuthenticatorOptions = {}): Authenticator {
  const keys: JWTVerifyGetKey = config.jwksUrl
    ? createRemoteJWKSet(new URL(config.jwksUrl), { cooldownDuration: 30_000, cacheMaxAge: 600_000 })
    : createLocalJWKSet(JSON.parse(readFileSync(config.jwksFile, 'utf8')) as JSONWebKeySet);
  const cacheSize = options.cacheSize ?? 10_000;
  const cacheTtlMs = options.cacheTtlMs ?? 60_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { principal: Principal; until: number }>();

  return {
    async authenticate(token) {
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
  };
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
