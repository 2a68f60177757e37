/** restricted_symbols: case-insensitive matching, both sides, the empty list. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RISK_LIMITS, type RiskLimits } from './limits.js';
import { restrictedSymbols } from './restricted-symbols.js';
import { makeContext } from './test-context.js';

const limits = (restricted: string[]): RiskLimits => ({
  ...DEFAULT_RISK_LIMITS,
  restrictedSymbols: restricted,
});

describe('restricted_symbols', () => {
  it('passes every symbol when nothing is restricted (the default)', () => {
    const check = restrictedSymbols.check(makeContext(), DEFAULT_RISK_LIMITS);
    expect(check).toEqual({
      rule: 'restricted_symbols',
      passed: true,
      message: 'no symbols are restricted for this account (AAPL allowed)',
      limit: null,
      value: 'AAPL',
    });
  });

  it('fails a restricted symbol, matching case-insensitively, and names the list', () => {
    const context = makeContext({ order: { symbol: 'tsla' } });
    const check = restrictedSymbols.check(context, limits(['Tsla', ' gme ']));
    expect(check).toEqual({
      rule: 'restricted_symbols',
      passed: false,
      message:
        "TSLA is on the account's restricted list (TSLA, GME); no order in it may be proposed",
      limit: 'TSLA, GME',
      value: 'TSLA',
    });
  });

  it('fails sells of a restricted symbol too', () => {
    const context = makeContext({ order: { side: 'sell', quantity: 100 } });
    expect(restrictedSymbols.check(context, limits(['AAPL'])).passed).toBe(false);
  });

  it('passes a symbol that is not on the list', () => {
    const check = restrictedSymbols.check(makeContext(), limits(['TSLA']));
    expect(check.passed).toBe(true);
    expect(check.message).toBe("AAPL is not on the account's restricted list (TSLA)");
  });
});
