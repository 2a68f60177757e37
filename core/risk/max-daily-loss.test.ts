/** max_daily_loss: within, at and beyond the limit; closing orders allowed; off. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RISK_LIMITS, type RiskLimits } from './limits.js';
import { maxDailyLoss } from './max-daily-loss.js';
import { makeContext } from './test-context.js';

const limits = (overrides: Partial<RiskLimits> = {}): RiskLimits => ({
  ...DEFAULT_RISK_LIMITS,
  ...overrides,
});

describe('max_daily_loss', () => {
  it('passes while the loss is within the limit and names both', () => {
    const check = maxDailyLoss.check(makeContext({ account: { equity: 96_000 } }), limits());
    expect(check).toEqual({
      rule: 'max_daily_loss',
      passed: true,
      message: "today's P&L is -4.0 % (-$4,000.00), within the max daily loss 5 %",
      limit: 0.05,
      value: 0.04,
    });
  });

  it('passes a loss exactly at the limit', () => {
    const check = maxDailyLoss.check(makeContext({ account: { equity: 95_000 } }), limits());
    expect(check).toMatchObject({ passed: true, value: 0.05 });
  });

  it('blocks a buy once the loss is beyond the limit', () => {
    const check = maxDailyLoss.check(makeContext({ account: { equity: 94_000 } }), limits());
    expect(check.passed).toBe(false);
    expect(check.value).toBe(0.06);
    expect(check.message).toBe(
      "today's P&L is -6.0 % (-$6,000.00), beyond the max daily loss 5 %; new buys and opening " +
        'orders are blocked for the rest of the day (orders that reduce a position are allowed)',
    );
  });

  it('allows a sell that reduces a long and a buy that covers a short after the limit', () => {
    const sell = makeContext({
      account: { equity: 94_000 },
      order: { side: 'sell', quantity: 100 },
    });
    const check = maxDailyLoss.check(sell, limits());
    expect(check.passed).toBe(true);
    expect(check.message).toContain(
      'this sell reduces the AAPL position, and closing orders are allowed',
    );
    const cover = makeContext({
      account: { equity: 94_000, positions: { TSLA: { quantity: -100, price: 150 } } },
      order: { symbol: 'TSLA', side: 'buy', quantity: 40 },
    });
    expect(maxDailyLoss.check(cover, limits()).passed).toBe(true);
  });

  it('blocks opening a short and selling through zero after the limit', () => {
    const short = makeContext({
      account: { equity: 94_000 },
      order: { symbol: 'TSLA', side: 'sell' },
    });
    expect(maxDailyLoss.check(short, limits()).passed).toBe(false);
    const flip = makeContext({
      account: { equity: 94_000 },
      order: { side: 'sell', quantity: 101 },
    });
    expect(maxDailyLoss.check(flip, limits()).passed).toBe(false);
  });

  it('shows a winning day with a plus sign and a negative loss value', () => {
    const check = maxDailyLoss.check(makeContext({ account: { equity: 102_000 } }), limits());
    expect(check.passed).toBe(true);
    expect(check.value).toBe(-0.02);
    expect(check.message).toBe("today's P&L is +2.0 % ($2,000.00), within the max daily loss 5 %");
  });

  it('reports off, passed, when maxDailyLoss is null', () => {
    const check = maxDailyLoss.check(
      makeContext({ account: { equity: 50_000 } }),
      limits({ maxDailyLoss: null }),
    );
    expect(check).toMatchObject({ passed: true, limit: null, value: null });
    expect(check.message).toBe('max daily loss is off (maxDailyLoss is null)');
  });
});
