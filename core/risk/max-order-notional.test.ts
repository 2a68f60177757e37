/** max_order_notional: the notional on each price basis, the boundary, sells, off. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RISK_LIMITS, type RiskLimits } from './limits.js';
import { maxOrderNotional } from './max-order-notional.js';
import { makeContext } from './test-context.js';

const limits = (overrides: Partial<RiskLimits> = {}): RiskLimits => ({
  ...DEFAULT_RISK_LIMITS,
  ...overrides,
});

describe('max_order_notional', () => {
  it('passes under the default $100,000 and says what it checked', () => {
    expect(maxOrderNotional.check(makeContext(), limits())).toEqual({
      rule: 'max_order_notional',
      passed: true,
      message: 'order notional $1,500.00 (10 AAPL × $150.00 last price) within max $100,000.00',
      limit: 100_000,
      value: 1500,
    });
  });

  it('prices a limit order at its limit and names both figures when it fails', () => {
    const context = makeContext({ order: { quantity: 100, type: 'limit', limitPrice: 254 } });
    const check = maxOrderNotional.check(context, limits({ maxOrderNotional: 10_000 }));
    expect(check).toMatchObject({ passed: false, limit: 10_000, value: 25_400 });
    expect(check.message).toBe(
      "order notional $25,400.00 (100 AAPL × $254.00 limit price) exceeds the account's max " +
        'order notional $10,000.00',
    );
  });

  it('passes exactly at the limit and fails one share above', () => {
    const at = maxOrderNotional.check(
      makeContext({ order: { quantity: 100 } }),
      limits({ maxOrderNotional: 15_000 }),
    );
    expect(at).toMatchObject({ passed: true, value: 15_000 });
    const above = maxOrderNotional.check(
      makeContext({ order: { quantity: 101 } }),
      limits({ maxOrderNotional: 15_000 }),
    );
    expect(above).toMatchObject({ passed: false, value: 15_150 });
  });

  it('shows sub-cent digits rather than "$10,000.00 exceeds $10,000.00"', () => {
    const context = makeContext({ order: { quantity: 1, type: 'limit', limitPrice: 10_000.004 } });
    const check = maxOrderNotional.check(context, limits({ maxOrderNotional: 10_000 }));
    expect(check.passed).toBe(false);
    expect(check.message).toBe(
      "order notional $10,000.004 (1 AAPL × $10,000.004 limit price) exceeds the account's max " +
        'order notional $10,000.00',
    );
  });

  it('prices a stop order at its stop price', () => {
    const context = makeContext({
      order: { side: 'sell', quantity: 100, type: 'stop', stopPrice: 140 },
    });
    const check = maxOrderNotional.check(context, limits());
    expect(check.value).toBe(14_000);
    expect(check.message).toContain('100 AAPL × $140.00 stop price');
  });

  it('takes a dollar-sized order at its notional, with no price needed', () => {
    const context = makeContext({ order: { quantity: null, notional: 20_000 }, lastPrice: null });
    const check = maxOrderNotional.check(context, limits({ maxOrderNotional: 10_000 }));
    expect(check).toMatchObject({ passed: false, value: 20_000 });
    expect(check.message).toBe(
      "order notional $20,000.00 (dollar-sized order) exceeds the account's max order notional $10,000.00",
    );
  });

  it('applies to sells too (a fat-finger guard), even ones that close a position', () => {
    const context = makeContext({ order: { side: 'sell', quantity: 100 } });
    expect(maxOrderNotional.check(context, limits({ maxOrderNotional: 10_000 })).passed).toBe(
      false,
    );
  });

  it('reports off, passed, when maxOrderNotional is null', () => {
    const check = maxOrderNotional.check(makeContext(), limits({ maxOrderNotional: null }));
    expect(check).toEqual({
      rule: 'max_order_notional',
      passed: true,
      message: 'max order notional is off (maxOrderNotional is null)',
      limit: null,
      value: null,
    });
  });
});
