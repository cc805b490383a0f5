/** The outcome of taking one token. */
export interface Take {
  allowed: boolean;
  /** Whole tokens left after this request. */
  remaining: number;
  /** Seconds until a token is available (when refused) or until the bucket is full. */
  resetSeconds: number;
}

/**
 * A token bucket refilled lazily on each take: `burst` tokens, `perSecond` refill. Written
 * here rather than taken from rate-limiter-flexible, whose in-memory limiter counts fixed
 * windows and cannot express "burst 100, then 50/s" exactly.
 */
export class TokenBucket {
  #tokens: number;
  #at: number;

  constructor(
    readonly burst: number,
    readonly perSecond: number,
    now: number,
  ) {
    this.#tokens = burst;
    this.#at = now;
  }

  take(now: number): Take {
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#at) / 1000) * this.perSecond);
    this.#at = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return {
        allowed: true,
        remaining: Math.floor(this.#tokens),
        resetSeconds: (this.burst - this.#tokens) / this.perSecond,
      };
    }
    return { allowed: false, remaining: 0, resetSeconds: (1 - this.#tokens) / this.perSecond };
  }

  /** True when the bucket would be full at `now` (safe to forget). */
  isFull(now: number): boolean {
    return this.#tokens + ((now - this.#at) / 1000) * this.perSecond >= this.burst;
  }
}
