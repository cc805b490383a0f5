import { describe, expect, it } from 'vitest';
import { TokenBucket } from './TokenBucket.js';

describe('TokenBucket', () => {
  it('allows a burst, then the steady rate', () => {
    const bucket = new TokenBucket(100, 50, 0);
    const burst = Array.from({ length: 150 }, () => bucket.take(0).allowed).filter(Boolean).length;
    expect(burst).toBe(100);
    // One second later: 50 more tokens, not more.
    const next = Array.from({ length: 80 }, () => bucket.take(1000).allowed).filter(Boolean).length;
    expect(next).toBe(50);
  });

  it('says when the next token arrives and never overfills', () => {
    const bucket = new TokenBucket(2, 4, 0);
    bucket.take(0);
    bucket.take(0);
    const refused = bucket.take(0);
    expect(refused).toEqual({ allowed: false, remaining: 0, resetSeconds: 0.25 });
    expect(bucket.isFull(10_000)).toBe(true);
    expect(bucket.take(10_000)).toMatchObject({ allowed: true, remaining: 1 });
  });
});
