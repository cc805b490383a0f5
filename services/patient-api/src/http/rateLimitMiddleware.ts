import type { RequestHandler, Response } from 'express';
import type { Principal } from '@patient-mesh/contract';
import { Counter, type Registry } from 'prom-client';
import type { ApiConfig } from '../config.js';
import { HttpProblem } from './HttpProblem.js';
import { TokenBucket, type Take } from './TokenBucket.js';

const MAX_SUBJECTS = 100_000;

/** The limits, and the `scope` label of a refusal. */
const SCOPES = ['global', 'subject'] as const;
type Scope = (typeof SCOPES)[number];

export interface RateLimiters {
  /** Whole-process limit; mount before authentication. */
  global: RequestHandler;
  /** Per-subject limit; mount after authentication. */
  perSubject: RequestHandler;
}

/**
 * Token-bucket rate limits, global and per JWT subject. Answers carry the IETF
 * `RateLimit-Limit` / `-Remaining` / `-Reset` headers; a refusal is 429 problem+json with
 * `Retry-After`. Idle full buckets are swept so memory stays bounded.
 */
export function createRateLimiters(
  config: ApiConfig['rateLimit'],
  registry: Registry,
  now = () => performance.now(),
): RateLimiters {
  const limited = new Counter({
    name: 'http_rate_limited_total',
    help: 'Requests refused by a rate limit, by scope (global, subject).',
    labelNames: ['scope'] as const,
    registers: [registry],
  });
  for (const scope of SCOPES) limited.inc({ scope }, 0);
  const pass: RequestHandler = (_req, _res, next) => next();
  if (!config.enabled) return { global: pass, perSubject: pass };

  const globalBucket = new TokenBucket(config.global.burst, config.global.perSecond, now());
  const subjects = new Map<string, TokenBucket>();
  const sweep = () => {
    const t = now();
    for (const [key, bucket] of subjects) if (bucket.isFull(t)) subjects.delete(key);
  };

  const refuse = (res: Response, scope: Scope, take: Take, limit: number) => {
    limited.inc({ scope });
    setHeaders(res, take, limit);
    throw new HttpProblem({
      status: 429,
      title: 'Too many requests',
      detail: scope === 'global' ? 'the service is at its request limit' : 'this caller is over its request limit',
      reason: scope === 'global' ? 'rate_limited_global' : 'rate_limited',
      retryAfter: take.resetSeconds,
    });
  };

  return {
    global(_req, res, next) {
      const take = globalBucket.take(now());
      if (!take.allowed) refuse(res, 'global', take, config.global.burst);
      next();
    },
    perSubject(_req, res, next) {
      const { sub } = res.locals['principal'] as Principal;
      let bucket = subjects.get(sub);
      if (!bucket) {
        if (subjects.size >= MAX_SUBJECTS) sweep();
        bucket = new TokenBucket(config.subject.burst, config.subject.perSecond, now());
        subjects.set(sub, bucket);
      }
      const take = bucket.take(now());
      if (!take.allowed) refuse(res, 'subject', take, config.subject.burst);
      setHeaders(res, take, config.subject.burst);
      next();
    },
  };
}

function setHeaders(res: Response, take: Take, limit: number): void {
  res.setHeader('RateLimit-Limit', String(limit));
  res.setHeader('RateLimit-Remaining', String(take.remaining));
  res.setHeader('RateLimit-Reset', String(Math.ceil(take.resetSeconds)));
}
