/** duplicate_order: within, at and outside the window; what counts as the same order; off. */
import { describe, expect, it } from 'vitest';
import { duplicateOrder } from './duplicate-order.js';
import { RiskInputError } from './errors.js';
import { DEFAULT_RISK_LIMITS, type RiskLimits } from './limits.js';
import { makeContext } from './test-context.js';
import type { RecentOrder } from './types.js';

const limits = (overrides: Partial<RiskLimits> = {}): RiskLimits => ({
  ...DEFAULT_RISK_LIMITS,
  ...overrides,
});

/** The base order (buy 10 AAPL market on acct-1) proposed at `at`, with changes. */
const recent = (at: string, changes: Partial<RecentOrder> = {}): RecentOrder => ({
  account: 'acct-1',
  symbol: 'AAPL',
  side: 'buy',
  quantity: 10,
  type: 'market',
  at,
  ...changes,
});

describe('duplicate_order', () => {
  it('passes with no recent orders and says what it checked', () => {
    expect(duplicateOrder.check(makeContext(), limits())).toEqual({
      rule: 'duplicate_order',
      passed: true,
      message: 'no identical order (buy 10 AAPL market) in the last 60 s',
      limit: 60,
      value: null,
    });
  });

  it('fails the same order proposed 30 s ago, naming the age and the window', () => {
    const context = makeContext({ recentOrders: [recent('2026-03-09T14:59:30Z')] });
    expect(duplicateOrder.check(context, limits())).toEqual({
      rule: 'duplicate_order',
      passed: false,
      message:
        'the same order (buy 10 AAPL market) was proposed 30 s ago, within the duplicate window 60 s',
      limit: 60,
      value: 30,
    });
  });

  it('passes one proposed exactly the window ago, and fails one a millisecond later', () => {
    const at = duplicateOrder.check(
      makeContext({ recentOrders: [recent('2026-03-09T14:59:00Z')] }),
      limits(),
    );
    expect(at).toMatchObject({ passed: true, value: 60 });
    expect(at.message).toBe(
      'the last identical order (buy 10 AAPL market) was proposed 60 s ago, outside the duplicate window 60 s',
    );
    const inside = duplicateOrder.check(
      makeContext({ recentOrders: [recent('2026-03-09T14:59:00.001Z')] }),
      limits(),
    );
    expect(inside).toMatchObject({ passed: false, value: 59.999 });
  });

  it('reports the most recent of several identical orders', () => {
    const context = makeContext({
      recentOrders: [recent('2026-03-09T14:50:00Z'), recent('2026-03-09T14:59:50+00:00')],
    });
    expect(duplicateOrder.check(context, limits())).toMatchObject({ passed: false, value: 10 });
  });

  it('treats any difference in account, side, type, size or price as a different order', () => {
    const at = '2026-03-09T14:59:50Z';
    for (const changes of [
      { account: 'acct-2' },
      { side: 'sell' as const },
      { quantity: 11 },
      { quantity: null, notional: 1500 },
      { type: 'limit' as const, limitPrice: 150 },
      { symbol: 'MSFT' },
    ]) {
      const context = makeContext({ recentOrders: [recent(at, changes)] });
      expect(duplicateOrder.check(context, limits()).passed, JSON.stringify(changes)).toBe(true);
    }
  });

  it('matches the symbol ignoring case, and prices by value', () => {
    const context = makeContext({
      order: { type: 'limit', limitPrice: 150 },
      recentOrders: [
        recent('2026-03-09T14:59:50Z', { symbol: 'aapl', type: 'limit', limitPrice: 150.0 }),
      ],
    });
    const check = duplicateOrder.check(context, limits());
    expect(check.passed).toBe(false);
    expect(check.message).toContain('buy 10 AAPL limit $150.00');
    const other = makeContext({
      order: { type: 'limit', limitPrice: 150 },
      recentOrders: [recent('2026-03-09T14:59:50Z', { type: 'limit', limitPrice: 150.01 })],
    });
    expect(duplicateOrder.check(other, limits()).passed).toBe(true);
  });

  it('skips the order itself (same id) when re-checked at approval time', () => {
    const recentOrders = [recent('2026-03-09T14:59:50Z', { id: 'p-1' })];
    const self = makeContext({ order: { id: 'p-1' }, recentOrders });
    expect(duplicateOrder.check(self, limits()).passed).toBe(true);
    const another = makeContext({ order: { id: 'p-2' }, recentOrders });
    expect(duplicateOrder.check(another, limits()).passed).toBe(false);
  });

  it('honours a configured window', () => {
    const context = makeContext({ recentOrders: [recent('2026-03-09T14:55:00Z')] });
    expect(duplicateOrder.check(context, limits()).passed).toBe(true);
    expect(duplicateOrder.check(context, limits({ duplicateWindowSeconds: 600 })).passed).toBe(
      false,
    );
  });

  it('throws RiskInputError for a recent order without an ISO time', () => {
    const context = makeContext({ recentOrders: [recent('yesterday')] });
    expect(() => duplicateOrder.check(context, limits())).toThrow(RiskInputError);
    expect(() => duplicateOrder.check(context, limits())).toThrow(
      'recentOrders[0].at must be an ISO date-time with a zone (e.g. 2026-03-09T14:00:00Z), got "yesterday"',
    );
  });

  it('reports off, passed, when duplicateWindowSeconds is null', () => {
    const context = makeContext({ recentOrders: [recent('2026-03-09T14:59:59Z')] });
    const check = duplicateOrder.check(context, limits({ duplicateWindowSeconds: null }));
    expect(check).toEqual({
      rule: 'duplicate_order',
      passed: true,
      message: 'duplicate check is off (duplicateWindowSeconds is null)',
      limit: null,
      value: null,
    });
  });
});
