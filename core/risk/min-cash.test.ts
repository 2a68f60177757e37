/** min_cash: amount and fraction minimums, commission, the boundary, sells, margin, off. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RISK_LIMITS, type RiskLimits } from './limits.js';
import { minCash } from './min-cash.js';
import { makeContext } from './test-context.js';

const limits = (overrides: Partial<RiskLimits> = {}): RiskLimits => ({
  ...DEFAULT_RISK_LIMITS,
  ...overrides,
});

describe('min_cash', () => {
  it('passes a buy that leaves cash above the default $0 and says what it checked', () => {
    expect(minCash.check(makeContext(), limits())).toEqual({
      rule: 'min_cash',
      passed: true,
      message:
        'cash after this buy $48,500.00 (cash $50,000.00 − order $1,500.00 − est. commission ' +
        '$0.00) stays at or above the minimum $0.00',
      limit: 0,
      value: 48_500,
    });
  });

  it('passes cash exactly at the minimum, and fails once the commission takes it below', () => {
    const at = makeContext({ account: { cash: 1500 } });
    expect(minCash.check(at, limits())).toMatchObject({ passed: true, value: 0 });
    const below = makeContext({ account: { cash: 1500 }, estimatedCommission: 1 });
    const check = minCash.check(below, limits());
    expect(check).toMatchObject({ passed: false, limit: 0, value: -1 });
    expect(check.message).toBe(
      'cash after this buy would be -$1.00 (cash $1,500.00 − order $1,500.00 − est. commission ' +
        '$1.00); the minimum cash is $0.00',
    );
  });

  it('takes the larger of minCash and minCashFraction × equity', () => {
    const context = makeContext({ account: { cash: 11_000 } });
    const byFraction = minCash.check(context, limits({ minCashFraction: 0.1 }));
    expect(byFraction).toMatchObject({ passed: false, limit: 10_000, value: 9_500 });
    expect(byFraction.message).toContain('the minimum cash is $10,000.00 (10 % of equity)');
    const byAmount = minCash.check(context, limits({ minCash: 20_000, minCashFraction: 0.1 }));
    expect(byAmount).toMatchObject({ passed: false, limit: 20_000 });
    expect(byAmount.message).toContain('the minimum cash is $20,000.00');
    const fractionOnly = minCash.check(context, limits({ minCash: null, minCashFraction: 0.05 }));
    expect(fractionOnly).toMatchObject({ passed: true, limit: 5_000 });
  });

  it('allows margin borrowing down to a negative minCash', () => {
    const context = makeContext({ account: { cash: 0 } });
    expect(minCash.check(context, limits({ minCash: -10_000 }))).toMatchObject({
      passed: true,
      value: -1_500,
    });
  });

  it('passes a sell even when cash is already below the minimum', () => {
    const context = makeContext({ account: { cash: -5_000 }, order: { side: 'sell' } });
    const check = minCash.check(context, limits());
    expect(check.passed).toBe(true);
    expect(check.message).toBe(
      'a sell adds cash (to about -$3,500.00); the minimum cash $0.00 applies to buys',
    );
  });

  it('reports off, passed, when both minimums are null', () => {
    const check = minCash.check(
      makeContext({ account: { cash: -1e6 } }),
      limits({ minCash: null }),
    );
    expect(check).toEqual({
      rule: 'min_cash',
      passed: true,
      message: 'min cash is off (minCash and minCashFraction are null)',
      limit: null,
      value: null,
    });
  });
});
