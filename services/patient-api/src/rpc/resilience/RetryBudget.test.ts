import { describe, expect, it } from 'vitest';
import { RetryBudget } from './RetryBudget.js';

describe('RetryBudget', () => {
  it('keeps retries to the ratio of calls once the per-second floor is spent', () => {
    let now = 0;
    const budget = new RetryBudget(0.1, 2, 100, () => now);
    let retries = 0;
    for (let call = 0; call < 1000; call++) {
      budget.deposit();
      if (budget.tryWithdraw()) retries += 1;
    }
    // 2 from the floor, then one per ten calls.
    expect(retries).toBeGreaterThanOrEqual(99);
    expect(retries).toBeLessThanOrEqual(102);
    now += 1000;
    expect(budget.tryWithdraw()).toBe(true); // floor refilled after a second
  });

  it('allows nothing when both the ratio tokens and the floor are spent', () => {
    const budget = new RetryBudget(0.1, 0, 100, () => 0);
    for (let i = 0; i < 9; i++) budget.deposit();
    expect(budget.tryWithdraw()).toBe(false);
    budget.deposit();
    expect(budget.tryWithdraw()).toBe(true);
  });
});
