/** short_sale: sells beyond what is held (less working sells) fail unless the account may short. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RISK_LIMITS, runRiskRules, shortSale } from './index.js';
import { makeContext } from './test-context.js';

const check = (overrides: Parameters<typeof makeContext>[0]) =>
  shortSale.check(makeContext(overrides), DEFAULT_RISK_LIMITS);

describe('short_sale', () => {
  it('passes a buy, and a sell of at most the shares held', () => {
    expect(check({}).passed).toBe(true);
    const all = check({ order: { side: 'sell', quantity: 100 } });
    expect(all).toMatchObject({ passed: true, limit: 100, value: 100 });
  });

  it('refuses a sell of shares not held, naming the quantity held', () => {
    const none = check({ order: { symbol: 'KO', side: 'sell', quantity: 10 } });
    expect(none.passed).toBe(false);
    expect(none.message).toBe(
      'selling 10 KO but the account holds 0 KO, so at most 0 can be sold: this account does not allow short sales',
    );
    const more = check({ order: { side: 'sell', quantity: 150 } });
    expect(more).toMatchObject({ passed: false, limit: 100, value: 150 });
    expect(more.message).toContain('the account holds 100 AAPL');
  });

  it('counts shares already promised to working sell orders', () => {
    const result = check({
      order: { side: 'sell', quantity: 70 },
      account: { openSells: { aapl: 40 } },
    });
    expect(result.passed).toBe(false);
    expect(result.message).toBe(
      'selling 70 AAPL but the account holds 100 AAPL (40 already in working sell orders), so at most 60 can be sold: this account does not allow short sales',
    );
  });

  it('sizes a notional sell at the execution price', () => {
    // $30,000 at $150 = 200 shares, against 100 held.
    expect(check({ order: { side: 'sell', quantity: undefined, notional: 30_000 } }).passed).toBe(
      false,
    );
  });

  it('passes a short sale on an account that allows shorting, and says so', () => {
    const result = check({
      order: { symbol: 'KO', side: 'sell', quantity: 10 },
      account: { allowShort: true },
    });
    expect(result.passed).toBe(true);
    expect(result.message).toContain(
      'opens a short position of 10; this account allows short sales',
    );
  });

  it('fails the whole report, so such a proposal never says "all checks pass"', () => {
    const report = runRiskRules(
      makeContext({ order: { symbol: 'KO', side: 'sell', quantity: 10 } }),
      DEFAULT_RISK_LIMITS,
    );
    expect(report.passed).toBe(false);
    expect(report.checks.filter((c) => !c.passed).map((c) => c.rule)).toContain('short_sale');
  });
});
