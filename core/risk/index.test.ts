/** runRiskRules: every rule reports, in a stable order; input errors name the field and value. */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RISK_LIMITS,
  parseRiskLimits,
  type RiskContext,
  RiskInputError,
  type RiskLimits,
  RULES,
  runRiskRules,
} from './index.js';
import { makeContext } from './test-context.js';

const NAMES = [
  'max_position_weight',
  'max_order_notional',
  'max_daily_loss',
  'restricted_symbols',
  'min_cash',
  'sector_concentration',
  'limit_price_band',
  'duplicate_order',
  'market_open_and_fresh_price',
  'short_sale',
];

const OFF: RiskLimits = parseRiskLimits({
  maxPositionWeight: null,
  maxOrderNotional: null,
  maxDailyLoss: null,
  minCash: null,
  maxSectorWeight: null,
  limitPriceBand: null,
  duplicateWindowSeconds: null,
  maxPriceAgeHours: null,
  marketHours: 'any',
});

describe('RULES', () => {
  it('lists the ten rules in their reporting order, each with a description', () => {
    expect(RULES.map((rule) => rule.name)).toEqual(NAMES);
    for (const rule of RULES) expect(rule.description.length).toBeGreaterThan(40);
  });

  it('works with a check detached from its rule object', () => {
    for (const { name, check } of RULES) {
      expect(check(makeContext(), DEFAULT_RISK_LIMITS).rule).toBe(name);
    }
  });
});

describe('runRiskRules', () => {
  it('passes the base context with every rule reporting, in order', () => {
    const report = runRiskRules(makeContext(), DEFAULT_RISK_LIMITS);
    expect(report.passed).toBe(true);
    expect(report.checks.map((check) => check.rule)).toEqual(NAMES);
    expect(report.checks.every((check) => check.passed)).toBe(true);
  });

  it('fails when any rule fails, and still reports every rule', () => {
    const context = makeContext({
      now: '2026-03-07T15:00:00Z',
      lastPrice: { price: 150, asOf: '2026-03-07T15:00:00Z' },
      order: { quantity: 1000 },
      account: { equity: 90_000 },
    });
    const report = runRiskRules(context, parseRiskLimits({ restrictedSymbols: ['aapl'] }));
    expect(report.passed).toBe(false);
    expect(report.checks.map((check) => [check.rule, check.passed])).toEqual([
      ['max_position_weight', false],
      ['max_order_notional', false],
      ['max_daily_loss', false],
      ['restricted_symbols', false],
      ['min_cash', false],
      ['sector_concentration', false],
      ['limit_price_band', true],
      ['duplicate_order', true],
      ['market_open_and_fresh_price', false],
      ['short_sale', true],
    ]);
  });

  it('reports every rule as off, passed, when every limit is off', () => {
    const report = runRiskRules(
      makeContext({ lastPrice: null, order: { type: 'limit', limitPrice: 1 } }),
      OFF,
    );
    expect(report.passed).toBe(true);
    for (const check of report.checks) {
      // Not limits: a restricted list is empty by default; shorting is the account's, not a limit.
      if (check.rule === 'restricted_symbols' || check.rule === 'short_sale') continue;
      expect(check.message, check.rule).toMatch(/is off|are off|checks are off/);
      expect(check).toMatchObject({ passed: true, limit: null, value: null });
    }
  });

  it('returns plain JSON (what proposals.risk_results stores), with no NaN or undefined text', () => {
    const report = runRiskRules(makeContext({ order: { quantity: 0.5 } }), DEFAULT_RISK_LIMITS);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    for (const check of report.checks) {
      expect(check.message).not.toMatch(/NaN|undefined|Infinity|\[object/);
      for (const figure of [check.limit, check.value]) {
        expect(figure === null || typeof figure === 'string' || Number.isFinite(figure)).toBe(true);
      }
    }
  });
});

describe('input errors', () => {
  const cases: [string, RiskContext, string][] = [
    [
      'zero quantity',
      makeContext({ order: { quantity: 0 } }),
      'order.quantity must be a finite number > 0, got 0',
    ],
    [
      'negative quantity',
      makeContext({ order: { quantity: -5 } }),
      'order.quantity must be a finite number > 0, got -5',
    ],
    [
      'NaN quantity',
      makeContext({ order: { quantity: Number.NaN } }),
      'order.quantity must be a finite number > 0, got NaN',
    ],
    [
      'infinite quantity',
      makeContext({ order: { quantity: Number.POSITIVE_INFINITY } }),
      'order.quantity must be a finite number > 0, got Infinity',
    ],
    [
      'quantity and notional',
      makeContext({ order: { notional: 1000 } }),
      'order must have exactly one of quantity and notional, got 10 and 1000',
    ],
    [
      'neither quantity nor notional',
      makeContext({ order: { quantity: null } }),
      'order must have exactly one of quantity and notional, got null and nothing',
    ],
    [
      'missing last price for a market order',
      makeContext({ lastPrice: null }),
      'lastPrice is required to price a market order in AAPL, got null',
    ],
    [
      'limit order without a limit price',
      makeContext({ order: { type: 'limit' } }),
      'order.limitPrice must be a finite number > 0, got nothing',
    ],
    [
      'market order with a limit price',
      makeContext({ order: { limitPrice: 150 } }),
      'order.limitPrice must be absent for a market order, got 150',
    ],
    [
      'bad side',
      makeContext({ order: { side: 'short' as 'sell' } }),
      `order.side must be 'buy' or 'sell', got "short"`,
    ],
    [
      'zero equity',
      makeContext({ account: { equity: 0 } }),
      'account.equity must be a finite number > 0, got 0',
    ],
    [
      'position without a price',
      makeContext({ account: { positions: { AAPL: { quantity: 1, price: Number.NaN } } } }),
      'account.positions.AAPL.price must be a finite number > 0, got NaN',
    ],
    [
      'now without a zone',
      makeContext({ now: '2026-03-09T10:00:00' }),
      'now must be an ISO date-time with a zone (e.g. 2026-03-09T14:00:00Z), got "2026-03-09T10:00:00"',
    ],
    [
      'negative commission',
      makeContext({ estimatedCommission: -1 }),
      'estimatedCommission must be a finite number ≥ 0, got -1',
    ],
  ];

  it.each(cases)('%s', (_name, context, message) => {
    expect(() => runRiskRules(context, DEFAULT_RISK_LIMITS)).toThrow(RiskInputError);
    expect(() => runRiskRules(context, DEFAULT_RISK_LIMITS)).toThrow(message);
  });

  it('names the field on the error', () => {
    try {
      runRiskRules(makeContext({ order: { quantity: -1 } }), DEFAULT_RISK_LIMITS);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(RiskInputError);
      expect((error as RiskInputError).field).toBe('order.quantity');
    }
  });
});
