/**
 * The context the risk tests start from: Monday 2026-03-09 11:00 New York time (market open), an
 * account with $100,000 equity (unchanged since the open), $50,000 cash, AAPL 100 × $150, MSFT
 * 50 × $300 (both Information Technology: 30 %), XOM 200 × $100 (Energy: 20 %), and a market buy
 * of 10 AAPL at a last price of $150 observed 5 minutes ago.
 */
import type { RiskAccount, RiskContext, RiskOrder } from './types.js';

/** Overrides for makeContext: `order` and `account` are merged into the base ones. */
export type ContextOverrides = Omit<Partial<RiskContext>, 'order' | 'account'> & {
  order?: Partial<RiskOrder>;
  account?: Partial<RiskAccount>;
};

/** The base test context with `overrides` applied. */
export function makeContext(overrides: ContextOverrides = {}): RiskContext {
  const { order, account, ...rest } = overrides;
  return {
    now: '2026-03-09T15:00:00Z',
    lastPrice: { price: 150, asOf: '2026-03-09T14:55:00Z' },
    sectors: { AAPL: 'Information Technology', MSFT: 'Information Technology', XOM: 'Energy' },
    recentOrders: [],
    estimatedCommission: 0,
    ...rest,
    order: {
      account: 'acct-1',
      symbol: 'AAPL',
      side: 'buy',
      quantity: 10,
      type: 'market',
      ...order,
    },
    account: {
      equity: 100_000,
      cash: 50_000,
      startOfDayEquity: 100_000,
      positions: {
        AAPL: { quantity: 100, price: 150 },
        MSFT: { quantity: 50, price: 300 },
        XOM: { quantity: 200, price: 100 },
      },
      ...account,
    },
  };
}
