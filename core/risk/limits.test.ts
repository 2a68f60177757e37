/** accounts.risk_limits JSON: defaults, partial settings, null to turn off, readable errors. */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RISK_LIMITS,
  parseRiskLimits,
  RiskLimitsError,
  riskLimitsSchema,
} from './limits.js';

describe('risk limits', () => {
  it('fills every default from {} (the column default)', () => {
    expect(parseRiskLimits({})).toEqual({
      maxPositionWeight: 0.25,
      maxOrderNotional: 100_000,
      maxDailyLoss: 0.05,
      restrictedSymbols: [],
      minCash: 0,
      minCashFraction: null,
      maxSectorWeight: 0.4,
      unknownSector: 'fail',
      limitPriceBand: 0.05,
      duplicateWindowSeconds: 60,
      maxPriceAgeHours: 96,
      marketHours: 'regular',
    });
    expect(DEFAULT_RISK_LIMITS).toEqual(parseRiskLimits({}));
  });

  it('keeps the given limits and defaults the rest; null turns a limit off', () => {
    const limits = parseRiskLimits({
      maxOrderNotional: 10_000,
      maxPositionWeight: null,
      restrictedSymbols: [' gme '],
      marketHours: 'any',
    });
    expect(limits).toMatchObject({
      maxOrderNotional: 10_000,
      maxPositionWeight: null,
      restrictedSymbols: ['gme'],
      marketHours: 'any',
      maxDailyLoss: 0.05,
    });
  });

  it.each([
    [
      { maxPositionWeight: 0 },
      'risk limit maxPositionWeight must be null or a fraction above 0 and at most 10 (0.05 = 5 %), got 0',
    ],
    [
      { maxPositionWeight: '25%' },
      'risk limit maxPositionWeight must be null or a fraction above 0 and at most 10 (0.05 = 5 %), got "25%"',
    ],
    [
      { maxDailyLoss: 5 },
      'risk limit maxDailyLoss must be null or a fraction above 0 and at most 1 (0.05 = 5 %), got 5',
    ],
    [
      { maxOrderNotional: -5 },
      'risk limit maxOrderNotional must be null or a number above 0 (USD), got -5',
    ],
    [
      { duplicateWindowSeconds: 0 },
      'risk limit duplicateWindowSeconds must be null or a number above 0 (seconds), got 0',
    ],
    [{ minCash: '1000' }, 'risk limit minCash must be null or a number of USD, got "1000"'],
    [
      { minCashFraction: 1.5 },
      'risk limit minCashFraction must be null or a fraction from 0 to 1, got 1.5',
    ],
    [
      { marketHours: 'extended' },
      "risk limit marketHours must be 'regular' or 'any', got \"extended\"",
    ],
    [{ unknownSector: true }, "risk limit unknownSector must be 'pass' or 'fail', got true"],
    [
      { restrictedSymbols: 'AAPL' },
      'risk limit restrictedSymbols must be a list of symbols, got "AAPL"',
    ],
    [
      { restrictedSymbols: ['AAPL', 3] },
      'risk limit restrictedSymbols must be a list of symbols, got 3',
    ],
    [
      { restrictedSymbols: [''] },
      'risk limit restrictedSymbols must be a list of non-blank symbols, got ""',
    ],
  ])('%j → %s', (json, message) => {
    expect(() => parseRiskLimits(json)).toThrow(new RiskLimitsError(message));
  });

  it('refuses unknown keys (a misspelt limit must not be ignored) and lists the known ones', () => {
    expect(() => parseRiskLimits({ maxPositon: 0.2 })).toThrow(
      /^unknown risk limit "maxPositon"; the known limits are maxPositionWeight, maxOrderNotional, /,
    );
  });

  it('refuses JSON that is not an object', () => {
    expect(() => parseRiskLimits([])).toThrow('risk limits must be a JSON object, got []');
    expect(() => parseRiskLimits(null)).toThrow('risk limits must be a JSON object, got null');
  });

  it('joins several problems into one message', () => {
    expect(() => parseRiskLimits({ maxOrderNotional: 0, limitPriceBand: 2 })).toThrow(
      'risk limit maxOrderNotional must be null or a number above 0 (USD), got 0; risk limit ' +
        'limitPriceBand must be null or a fraction above 0 and at most 1 (0.05 = 5 %), got 2',
    );
  });

  it('puts the same messages on the schema issues, with the path', () => {
    const result = riskLimitsSchema.safeParse({ maxSectorWeight: -1 });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]).toMatchObject({
      path: ['maxSectorWeight'],
      message:
        'risk limit maxSectorWeight must be null or a fraction above 0 and at most 10 (0.05 = 5 %), got -1',
    });
  });
});
