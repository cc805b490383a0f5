/**
 * Caps retries at a fraction of calls (like Finagle's and gRPC's retry budgets): every
 * call deposits `ratio` tokens, every retry withdraws one, and a floor of `minPerSecond`
 * retries per second keeps low-traffic clients able to retry at all. Without it, retries
 * multiply the load on an upstream that is already failing.
 */
export class RetryBudget {
  #tokens: number;
  #floorTokens: number;
  #floorRefilledAt: number;

  constructor(
    private readonly ratio: number,
    private readonly minPerSecond: number,
    private readonly maxTokens = 100,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#tokens = 0;
    this.#floorTokens = minPerSecond;
    this.#floorRefilledAt = now();
  }

  /** Records a first attempt. */
  deposit(): void {
    this.#tokens = Math.min(this.maxTokens, this.#tokens + this.ratio);
  }

  /** True, and spends a token, when a retry is allowed now. */
  tryWithdraw(): boolean {
    // Tolerance: ten deposits of 0.1 must make one whole token.
    if (this.#tokens >= 1 - 1e-9) {
      this.#tokens = Math.max(0, this.#tokens - 1);
      return true;
    }
    const now = this.now();
    this.#floorTokens = Math.min(
      this.minPerSecond,
      this.#floorTokens + ((now - this.#floorRefilledAt) / 1000) * this.minPerSecond,
    );
    this.#floorRefilledAt = now;
    if (this.#floorTokens >= 1) {
      this.#floorTokens -= 1;
      return true;
    }
    return false;
  }
}
