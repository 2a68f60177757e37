/** max_position_weight: weights after the order, the boundary, shorts, reducing sells, off. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RISK_LIMITS, type RiskLimits } from './limits.js';
import { maxPositionWeight } from './max-position-weight.js';
import { makeContext } from './test-context.js';

const limits = (overrides: Partial<RiskLimits> = {}): RiskLimits => ({
  ...DEFAULT_RISK_LIMITS,
  ...overrides,
});

describe('max_position_weight', () => {
  it('passes a buy that leaves the position under the limit and says what it checked', () => {
    const check = maxPositionWeight.check(makeContext(), limits());
    expect(check).toEqual({
      rule: 'max_position_weight',
      passed: true,
      message: 'AAPL would be 16.5 % of equity after this order, within the limit 25 %',
      limit: 0.25,
      value: 0.165,
    });
  });

  it('names the weight and the limit when it fails', () => {
    const context = makeContext({ order: { quantity: 56 } });
    const check = maxPositionWeight.check(context, limits({ maxPositionWeight: 0.2 }));
    expect(check.passed).toBe(false);
    expect(check.message).toBe(
      'AAPL would be 23.4 % of equity after this order; the limit is 20 %',
    );
    expect(check.value).toBe(0.234);
  });

  it('passes exactly at the limit and fails just above it (limit price as execution price)', () => {
    const at = makeContext({ order: { quantity: 100, type: 'limit', limitPrice: 125 } });
    expect(maxPositionWeight.check(at, limits())).toMatchObject({ passed: true, value: 0.25 });
    const above = makeContext({ order: { quantity: 101, type: 'limit', limitPrice: 125 } });
    const check = maxPositionWeight.check(above, limits());
    expect(check.passed).toBe(false);
    expect(check.message).toBe(
      'AAPL would be 25.1 % of equity after this order; the limit is 25 %',
    );
  });

  it('counts the estimated commission and shows enough decimals to tell value from limit', () => {
    const context = makeContext({
      order: { quantity: 100, type: 'limit', limitPrice: 125 },
      estimatedCommission: 1,
    });
    const check = maxPositionWeight.check(context, limits());
    expect(check.passed).toBe(false);
    expect(check.message).toBe(
      'AAPL would be 25.0003 % of equity after this order; the limit is 25 %',
    );
  });

  it('uses the stop price for a stop order and notional ÷ price for a dollar-sized order', () => {
    const stop = makeContext({ order: { quantity: 100, type: 'stop', stopPrice: 140 } });
    expect(maxPositionWeight.check(stop, limits()).value).toBe(0.28);
    const dollars = makeContext({ order: { quantity: null, notional: 15_000 } });
    const check = maxPositionWeight.check(dollars, limits());
    expect(check).toMatchObject({ passed: false, value: 0.3 });
  });

  it('passes a sell that shrinks a position that is still above the limit', () => {
    const context = makeContext({
      order: { side: 'sell', quantity: 10 },
      account: { positions: { AAPL: { quantity: 200, price: 150 } } },
    });
    const check = maxPositionWeight.check(context, limits());
    expect(check.passed).toBe(true);
    expect(check.value).toBe(0.285);
    expect(check.message).toBe(
      'AAPL would be 28.5 % of equity after this order, above the limit 25 %, but the order ' +
        'reduces the position, which is always allowed',
    );
  });

  it('measures a short by absolute value: a sell that flips to a large short fails', () => {
    const flip = makeContext({ order: { side: 'sell', quantity: 300 } });
    const check = maxPositionWeight.check(flip, limits());
    expect(check.passed).toBe(false);
    expect(check.value).toBe(0.3);
    expect(check.message).toBe(
      'AAPL would be 30.0 % (short) of equity after this order; the limit is 25 %',
    );
    const small = makeContext({ order: { side: 'sell', quantity: 200 } });
    expect(maxPositionWeight.check(small, limits())).toMatchObject({ passed: true, value: 0.15 });
  });

  it('fails a buy that adds to a too-big position; passes a buy that covers part of a short', () => {
    const adding = makeContext({ account: { positions: { AAPL: { quantity: 200, price: 150 } } } });
    expect(maxPositionWeight.check(adding, limits()).passed).toBe(false);
    const covering = makeContext({
      order: { quantity: 10 },
      account: { positions: { AAPL: { quantity: -200, price: 150 } } },
    });
    const check = maxPositionWeight.check(covering, limits());
    expect(check.passed).toBe(true);
    expect(check.message).toContain('reduces the position');
  });

  it('reports off, passed, when maxPositionWeight is null', () => {
    expect(maxPositionWeight.check(makeContext(), limits({ maxPositionWeight: null }))).toEqual({
      rule: 'max_position_weight',
      passed: true,
      message: 'max position weight is off (maxPositionWeight is null)',
      limit: null,
      value: null,
    });
  });
});
