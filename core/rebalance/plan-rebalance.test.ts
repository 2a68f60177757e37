/** planRebalance on hand-worked books: every figure checked against arithmetic shown in the comments. */
import { describe, expect, it } from 'vitest';
import { Dec } from '../decimal.js';
import { createRandom } from '../random.js';
import { planRebalance } from './plan-rebalance.js';
import { RebalanceInputError, type RebalanceRequest } from './types.js';

/** a / b computed in decimals, as the plan computes weights. */
const ratio = (a: number, b: number): number => new Dec(a).div(b).toNumber();

function order(plan: ReturnType<typeof planRebalance>, symbol: string) {
  const found = plan.orders.find((o) => o.symbol === symbol);
  if (!found) throw new Error(`no order for ${symbol}`);
  return found;
}

function skipOf(plan: ReturnType<typeof planRebalance>, symbol: string) {
  return plan.skipped.find((s) => s.symbol === symbol);
}

describe('planRebalance: a worked example', () => {
  /**
   * Equity E = 1000 cash + 100 AAA × 50 + 50 BBB × 100 + 10 OLD × 30 = 11,300.
   * Targets 30 % each of AAA, BBB, CCC = 3,390 each; OLD is held but not targeted.
   * Costs: 0.01 per share, at least 1.00 per order; slippage 10 bps (rounded up to the cent).
   *   AAA: 3390 / 50 = 67.8 shares wanted; sell ⌈100 − 67.8⌉ = 33 → 1,650.00; commission
   *        max(1, 0.33) = 1.00; slippage 1.65.
   *   BBB: 3390 / 100 = 33.9; sell ⌈16.1⌉ = 17 → 1,700.00; commission 1.00; slippage 1.70.
   *   OLD: sell all 10 → 300.00; commission max(1, 0.10) = 1.00; slippage 0.30.
   *   Cash after sells: 1000 + 3650 − 3.00 − 3.65 = 4,643.35.
   *   CCC: 3390 / 25 = 135.6; buy ⌊135.6⌋ = 135 → 3,375.00; commission 1.35; slippage 3.375 → 3.38.
   *   Cash after: 4643.35 − 3375 − 1.35 − 3.38 = 1,263.62.
   *   Equity after: 1263.62 + 67 × 50 + 33 × 100 + 135 × 25 = 11,288.62 (= 11,300 − 11.38 costs).
   *   Turnover: (3650 + 3375) / 11300.
   */
  const request: RebalanceRequest = {
    positions: { AAA: 100, BBB: 50, OLD: 10 },
    cash: 1000,
    prices: { AAA: 50, BBB: 100, CCC: 25, OLD: 30 },
    targets: { AAA: 0.3, BBB: 0.3, CCC: 0.3 },
    options: { costs: { commissionPerShare: 0.01, commissionMinimum: 1, slippageBps: 10 } },
  };
  const plan = planRebalance(request);

  it('sells the overweight and untargeted names first, then buys', () => {
    expect(plan.orders.map((o) => [o.side, o.symbol, o.quantity])).toEqual([
      ['sell', 'AAA', 33],
      ['sell', 'BBB', 17],
      ['sell', 'OLD', 10],
      ['buy', 'CCC', 135],
    ]);
    expect(order(plan, 'OLD').reason).toBe('not_targeted');
    expect(order(plan, 'CCC').reason).toBe('drift');
  });

  it('prices each order in cents', () => {
    expect(order(plan, 'AAA')).toMatchObject({
      notional: 1650,
      estimatedCommission: 1,
      estimatedSlippage: 1.65,
      price: 50,
      fromWeight: ratio(5000, 11300),
      targetWeight: 0.3,
    });
    expect(order(plan, 'BBB')).toMatchObject({ notional: 1700, estimatedSlippage: 1.7 });
    expect(order(plan, 'OLD')).toMatchObject({
      notional: 300,
      estimatedCommission: 1,
      toWeight: 0,
    });
    expect(order(plan, 'CCC')).toMatchObject({
      notional: 3375,
      estimatedCommission: 1.35,
      estimatedSlippage: 3.38,
      fromWeight: 0,
      toWeight: ratio(3375, 11288.62),
    });
  });

  it('reports the book afterwards and the totals', () => {
    expect(plan.equityBefore).toBe(11300);
    expect(plan.cashAfter).toBe(1263.62);
    expect(plan.equityAfter).toBe(11288.62);
    expect(plan.cashWeight).toBeCloseTo(ratio(1263.62, 11288.62), 15);
    expect(plan.positions).toEqual([
      { symbol: 'AAA', quantity: 67, marketValue: 3350, weight: ratio(3350, 11288.62) },
      { symbol: 'BBB', quantity: 33, marketValue: 3300, weight: ratio(3300, 11288.62) },
      { symbol: 'CCC', quantity: 135, marketValue: 3375, weight: ratio(3375, 11288.62) },
      { symbol: 'OLD', quantity: 0, marketValue: 0, weight: 0 },
    ]);
    expect(plan.totals).toEqual({
      sellNotional: 3650,
      buyNotional: 3375,
      commission: 4.35,
      slippage: 7.03,
      costs: 11.38,
      orderCount: 4,
    });
    expect(plan.turnover).toBe(ratio(7025, 11300));
    expect(plan.skipped).toEqual([]);
  });

  it('does not depend on the key order of the request', () => {
    const reversed = (r: Record<string, number>) =>
      Object.fromEntries(Object.entries(r).reverse()) as Record<string, number>;
    const again = planRebalance({
      ...request,
      positions: reversed(request.positions),
      prices: reversed(request.prices),
      targets: reversed(request.targets),
    });
    expect(again).toEqual(plan);
    expect(JSON.stringify(again)).toBe(JSON.stringify(plan));
  });
});

describe('planRebalance: quantities', () => {
  it('buys whole shares by default and millionths when fractional', () => {
    // 50 % of 10,000 at 300 = 16.666… shares: 16 whole (4,800.00), or 16.666666 → 4,999.9998 → 5,000.00.
    const base: RebalanceRequest = {
      positions: {},
      cash: 10_000,
      prices: { AAA: 300 },
      targets: { AAA: 0.5 },
    };
    const whole = planRebalance(base);
    expect(order(whole, 'AAA')).toMatchObject({ side: 'buy', quantity: 16, notional: 4800 });
    expect(whole.cashAfter).toBe(5200);
    const fractional = planRebalance({ ...base, options: { allowFractional: true } });
    expect(order(fractional, 'AAA')).toMatchObject({ quantity: 16.666666, notional: 5000 });
    expect(fractional.cashAfter).toBe(5000);
    expect(fractional.positions[0]?.quantity).toBe(16.666666);
  });

  it('skips a change smaller than one whole share', () => {
    // 40 % of 10,000 at 5,000 = 0.8 shares.
    const plan = planRebalance({
      positions: {},
      cash: 10_000,
      prices: { BIG: 5000 },
      targets: { BIG: 0.4 },
    });
    expect(plan.orders).toEqual([]);
    expect(skipOf(plan, 'BIG')?.reason).toBe('rounds_to_zero');
    expect(
      planRebalance({
        positions: {},
        cash: 10_000,
        prices: { BIG: 5000 },
        targets: { BIG: 0.4 },
        options: { allowFractional: true },
      }).orders[0]?.quantity,
    ).toBe(0.8);
  });

  it('closes a fractional holding entirely when it is not targeted, even in whole shares', () => {
    const plan = planRebalance({
      positions: { AAA: 10.25 },
      cash: 0,
      prices: { AAA: 100 },
      targets: {},
    });
    expect(order(plan, 'AAA')).toMatchObject({ side: 'sell', quantity: 10.25, notional: 1025 });
    expect(plan.cashAfter).toBe(1025);
  });

  it('covers a short that is not targeted with a buy', () => {
    // Equity 5,000 − 10 × 100 = 4,000; covering costs 1,000.
    const plan = planRebalance({
      positions: { SHORT: -10 },
      cash: 5000,
      prices: { SHORT: 100 },
      targets: {},
    });
    expect(order(plan, 'SHORT')).toMatchObject({
      side: 'buy',
      quantity: 10,
      reason: 'not_targeted',
    });
    expect(plan.cashAfter).toBe(4000);
    expect(plan.equityAfter).toBe(4000);
  });
});

describe('planRebalance: the drift band', () => {
  // Equity 10,000 at a price of 50; target 50 % = 100 shares. Drift = |c − 0.5| / 0.5.
  const book = (shares: number, options: RebalanceRequest['options'] = { minNotional: 0 }) =>
    planRebalance({
      positions: { AAA: shares },
      cash: 10_000 - shares * 50,
      prices: { AAA: 50 },
      targets: { AAA: 0.5 },
      options,
    });

  it('keeps a name whose drift is exactly the threshold (105 and 95 shares: 5 %)', () => {
    for (const shares of [105, 95]) {
      const plan = book(shares);
      expect(plan.orders).toEqual([]);
      expect(skipOf(plan, 'AAA')?.reason).toBe('within_drift_band');
      expect(skipOf(plan, 'AAA')?.detail).toContain('drift 5.00 %');
    }
  });

  it('trades a name just beyond it (106 and 94 shares: 6 %)', () => {
    expect(order(book(106), 'AAA')).toMatchObject({ side: 'sell', quantity: 6, notional: 300 });
    expect(order(book(94), 'AAA')).toMatchObject({ side: 'buy', quantity: 6, notional: 300 });
  });

  it('follows the threshold given, and 0 trades any deviation', () => {
    expect(book(106, { minNotional: 0, driftThreshold: 0.06 }).orders).toEqual([]);
    expect(book(101, { minNotional: 0, driftThreshold: 0 }).orders[0]?.quantity).toBe(1);
    expect(book(100, { minNotional: 0, driftThreshold: 0 }).orders).toEqual([]);
  });

  it('always sells a held name targeted at 0, however small', () => {
    const plan = planRebalance({
      positions: { TINY: 1, AAA: 100 },
      cash: 0,
      prices: { TINY: 5, AAA: 100 },
      targets: { TINY: 0, AAA: 1 },
      options: { minNotional: 0, driftThreshold: 0.5 },
    });
    expect(order(plan, 'TINY')).toMatchObject({ side: 'sell', quantity: 1, reason: 'target_zero' });
  });
});

describe('planRebalance: minimum order, cash buffer and position cap', () => {
  it('skips orders under minNotional (default 100) and keeps one at exactly 100', () => {
    // 1 % of 10,000 = 100: at 33.33 that is 3 shares = 99.99; at 25 it is 4 shares = 100.00.
    const under = planRebalance({
      positions: {},
      cash: 10_000,
      prices: { AAA: 33.33 },
      targets: { AAA: 0.01 },
    });
    expect(under.orders).toEqual([]);
    expect(skipOf(under, 'AAA')?.reason).toBe('under_min_notional');
    expect(skipOf(under, 'AAA')?.detail).toContain('99.99');
    const at = planRebalance({
      positions: {},
      cash: 10_000,
      prices: { AAA: 25 },
      targets: { AAA: 0.01 },
    });
    expect(order(at, 'AAA')).toMatchObject({ quantity: 4, notional: 100 });
    const raised = planRebalance({
      positions: {},
      cash: 10_000,
      prices: { AAA: 25 },
      targets: { AAA: 0.01 },
      options: { minNotional: 100.01 },
    });
    expect(raised.orders).toEqual([]);
  });

  it('scales targets down to keep the cash buffer', () => {
    // 60/40 with a 10 % buffer: 54 % and 36 % of 10,000 at 10 = 540 and 360 shares.
    const plan = planRebalance({
      positions: {},
      cash: 10_000,
      prices: { AAA: 10, BBB: 10 },
      targets: { AAA: 0.6, BBB: 0.4 },
      options: { cashBuffer: 0.1 },
    });
    expect(plan.orders.map((o) => [o.symbol, o.quantity, o.targetWeight])).toEqual([
      ['AAA', 540, 0.54],
      ['BBB', 360, 0.36],
    ]);
    expect(plan.cashAfter).toBe(1000);
    expect(plan.cashWeight).toBe(0.1);
  });

  it('leaves targets that already fit the buffer alone', () => {
    const plan = planRebalance({
      positions: {},
      cash: 10_000,
      prices: { AAA: 10, BBB: 10 },
      targets: { AAA: 0.5, BBB: 0.3 },
      options: { cashBuffer: 0.1 },
    });
    expect(plan.orders.map((o) => o.targetWeight)).toEqual([0.5, 0.3]);
    expect(plan.cashAfter).toBe(2000);
  });

  it('caps each target at maxPositionWeight and keeps the excess in cash', () => {
    const plan = planRebalance({
      positions: {},
      cash: 10_000,
      prices: { AAA: 10, BBB: 10, CCC: 10 },
      targets: { AAA: 0.5, BBB: 0.3, CCC: 0.1 },
      options: { maxPositionWeight: 0.25 },
    });
    expect(plan.positions.map((p) => [p.symbol, p.quantity, p.weight])).toEqual([
      ['AAA', 250, 0.25],
      ['BBB', 250, 0.25],
      ['CCC', 100, 0.1],
    ]);
    expect(plan.cashAfter).toBe(4000);
  });
});

describe('planRebalance: order of orders and cash', () => {
  it('lists every sell before every buy, each sorted by symbol', () => {
    const plan = planRebalance({
      positions: { ZZZ: 100, MMM: 100, AAA: 0 },
      cash: 0,
      prices: { ZZZ: 10, MMM: 10, AAA: 10, BBB: 10, YYY: 10 },
      targets: { YYY: 0.25, BBB: 0.25, AAA: 0.25, ZZZ: 0.1, MMM: 0.15 },
      options: { minNotional: 0 },
    });
    expect(plan.orders.map((o) => `${o.side} ${o.symbol}`)).toEqual([
      'sell MMM',
      'sell ZZZ',
      'buy AAA',
      'buy BBB',
      'buy YYY',
    ]);
  });

  it('scales buys down so that commissions never take cash below zero', () => {
    /**
     * Sell all 100 OLD at 100 → 10,000.00 − 5.00 minimum commission − 10.00 slippage (10 bps)
     * = 9,985.00 to spend. The targets want 50 % of 10,000 in each of AAA (at 10) and BBB (at 20):
     * 500 and 250 shares, costing 5,000 + 5.00 + 5.00 each: 10,020 > 9,985, so both are scaled.
     */
    const plan = planRebalance({
      positions: { OLD: 100 },
      cash: 0,
      prices: { OLD: 100, AAA: 10, BBB: 20 },
      targets: { AAA: 0.5, BBB: 0.5 },
      options: { costs: { commissionMinimum: 5, slippageBps: 10 } },
    });
    const aaa = order(plan, 'AAA');
    const bbb = order(plan, 'BBB');
    expect(aaa.wantedQuantity).toBe(500);
    expect(bbb.wantedQuantity).toBe(250);
    expect(aaa.quantity).toBeLessThan(500);
    expect(bbb.quantity).toBeLessThan(250);
    expect(aaa.detail).toContain('scaled down');
    expect(plan.cashAfter).toBeGreaterThanOrEqual(0);
    // Nothing more fits: one more share of either would overdraw.
    const spend = (o: typeof aaa) => o.notional + o.estimatedCommission + o.estimatedSlippage;
    expect(9985 - spend(aaa) - spend(bbb)).toBeCloseTo(plan.cashAfter, 9);
    expect(plan.cashAfter).toBeLessThan(10 * 1.001 + 0.01);
  });

  it('gives up one buy rather than all when scaling takes every buy under minNotional', () => {
    // 500 of A and of B at 1.00 plus a 5.00 minimum commission each: 1,010 > 1,000 cash. Scaled
    // to fit, both fall under the 496 minimum; dropping B (the tie goes to the later symbol)
    // lets A be bought whole: 1,000 − 505 = 495 left.
    const plan = planRebalance({
      positions: {},
      cash: 1000,
      prices: { A: 1, B: 1 },
      targets: { A: 0.5, B: 0.5 },
      options: { minNotional: 496, costs: { commissionMinimum: 5 } },
    });
    expect(plan.orders.map((o) => [o.symbol, o.quantity])).toEqual([['A', 500]]);
    expect(skipOf(plan, 'B')?.reason).toBe('insufficient_cash');
    expect(plan.cashAfter).toBe(495);
  });

  it('makes no buy when the cash after sells is negative (a margin debit)', () => {
    const plan = planRebalance({
      positions: { AAA: 100 },
      cash: -500,
      prices: { AAA: 100, BBB: 10 },
      targets: { AAA: 0.5, BBB: 0.4 },
      options: { driftThreshold: 0.5 },
    });
    // AAA: weight 10,000 / 9,500 vs 50 % — drifts; sell ⌈100 − 47.5⌉ = 53 → 5,300; cash 4,800.
    expect(order(plan, 'AAA')).toMatchObject({ side: 'sell', quantity: 53 });
    expect(order(plan, 'BBB').side).toBe('buy');
    // AAA 0.9: drift |1.0526 − 0.9| / 0.9 = 17 % < 20 %, kept; BBB wants 47 shares but cash is −500.
    const held = planRebalance({
      positions: { AAA: 100 },
      cash: -500,
      prices: { AAA: 100, BBB: 10 },
      targets: { AAA: 0.9, BBB: 0.05 },
      options: { driftThreshold: 0.2 },
    });
    expect(held.orders).toEqual([]);
    expect(skipOf(held, 'BBB')?.reason).toBe('insufficient_cash');
    expect(held.cashAfter).toBe(-500);
  });

  it('skips a sell whose costs exceed its proceeds', () => {
    const plan = planRebalance({
      positions: { PENNY: 1 },
      cash: 1000,
      prices: { PENNY: 5 },
      targets: {},
      options: { minNotional: 0, costs: { commissionMinimum: 10 } },
    });
    expect(plan.orders).toEqual([]);
    expect(skipOf(plan, 'PENNY')?.reason).toBe('costs_exceed_proceeds');
  });

  it('keeps cash ≥ 0 and the books balanced on random books', () => {
    const random = createRandom(20_240_601);
    for (let run = 0; run < 200; run++) {
      const names = ['A', 'B', 'C', 'D', 'E', 'F'];
      const positions: Record<string, number> = {};
      const prices: Record<string, number> = {};
      const targets: Record<string, number> = {};
      let left = 1;
      for (const name of names) {
        prices[name] = random.int(1, 50_000) / 100;
        if (random.next() < 0.6) positions[name] = random.int(0, 400);
        if (random.next() < 0.7) {
          const w = Math.floor(random.next() * left * 1000) / 1000;
          targets[name] = w;
          left -= w;
        }
      }
      const plan = planRebalance({
        positions,
        cash: random.int(100, 2_000_000) / 100,
        prices,
        targets,
        options: {
          allowFractional: random.next() < 0.5,
          minNotional: random.int(0, 200),
          cashBuffer: random.next() < 0.5 ? 0 : 0.05,
          costs: {
            commissionPerShare: random.int(0, 2) / 100,
            commissionBps: random.int(0, 20),
            commissionMinimum: random.int(0, 10),
            slippageBps: random.int(0, 30),
          },
        },
      });
      expect(plan.cashAfter).toBeGreaterThanOrEqual(0);
      const t = plan.totals;
      const expected = new Dec(plan.cashBefore)
        .plus(t.sellNotional)
        .minus(t.buyNotional)
        .minus(t.commission)
        .minus(t.slippage);
      expect(expected.toNumber()).toBe(plan.cashAfter);
      const sides = plan.orders.map((o) => o.side);
      expect(sides).toEqual([...sides].sort((a, b) => (a === b ? 0 : a === 'sell' ? -1 : 1)));
      for (const p of plan.positions) {
        const before = positions[p.symbol] ?? 0;
        const o = plan.orders.find((x) => x.symbol === p.symbol);
        const change = o ? (o.side === 'buy' ? o.quantity : -o.quantity) : 0;
        expect(new Dec(before).plus(change).toNumber()).toBe(p.quantity);
      }
    }
  });
});

describe('planRebalance: bad input', () => {
  const good: RebalanceRequest = {
    positions: { AAA: 10 },
    cash: 1000,
    prices: { AAA: 10, BBB: 20 },
    targets: { AAA: 0.5, BBB: 0.5 },
  };
  const refuse = (request: RebalanceRequest, message: string | RegExp) =>
    expect(() => planRebalance(request)).toThrow(message);

  it('refuses negative weights and weights summing above 1, naming them', () => {
    refuse({ ...good, targets: { AAA: -0.1, BBB: 0.5 } }, 'targets.AAA must be a weight ≥ 0');
    refuse({ ...good, targets: { AAA: -0.1 } }, 'got -0.1');
    refuse({ ...good, targets: { AAA: 0.7, BBB: 0.5 } }, 'they sum to 1.2');
    // 0.1 + 0.2 + 0.7 is 1.0000000000000002 in binary floats, exactly 1 in decimals: accepted.
    expect(() =>
      planRebalance({
        ...good,
        prices: { AAA: 10, BBB: 20, CCC: 5 },
        targets: { AAA: 0.1, BBB: 0.2, CCC: 0.7 },
      }),
    ).not.toThrow();
  });

  it('refuses a held or targeted symbol without a price, naming it', () => {
    refuse({ ...good, prices: { AAA: 10 } }, 'no price for BBB');
    refuse({ ...good, prices: { BBB: 20 } }, 'no price for AAA');
    // Neither held nor targeted above 0: no price needed.
    const plan = planRebalance({ ...good, targets: { AAA: 0.5, BBB: 0.5, ZZZ: 0 } });
    expect(skipOf(plan, 'ZZZ')?.reason).toBe('nothing_to_trade');
  });

  it('refuses NaN and infinities, naming the field', () => {
    refuse({ ...good, cash: Number.NaN }, 'cash must be a finite number, got NaN');
    refuse(
      { ...good, prices: { AAA: Number.NaN, BBB: 20 } },
      'prices.AAA must be a finite number, got NaN',
    );
    refuse(
      { ...good, positions: { AAA: Number.POSITIVE_INFINITY } },
      'positions.AAA must be a finite number, got Infinity',
    );
    refuse(
      { ...good, targets: { AAA: Number.NaN } },
      'targets.AAA must be a finite number, got NaN',
    );
    refuse({ ...good, prices: { AAA: 0, BBB: 20 } }, 'prices.AAA must be a price > 0, got 0');
  });

  it('refuses options out of range and reports every problem at once', () => {
    refuse(
      { ...good, options: { driftThreshold: -1 } },
      'driftThreshold must be a relative drift ≥ 0',
    );
    refuse({ ...good, options: { cashBuffer: 1 } }, 'cashBuffer must be a fraction in [0, 1)');
    refuse(
      { ...good, options: { maxPositionWeight: 0 } },
      'maxPositionWeight must be a weight in (0, 1], got 0',
    );
    refuse(
      { ...good, options: { costs: { slippageBps: -5 } } },
      'costs.slippageBps must be a number ≥ 0',
    );
    try {
      planRebalance({
        ...good,
        cash: Number.NaN,
        targets: { AAA: -1 },
        options: { minNotional: -1 },
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(RebalanceInputError);
      const message = (error as Error).message;
      expect(message).toContain('cash must be');
      expect(message).toContain('targets.AAA');
      expect(message).toContain('minNotional must be');
    }
  });

  it('refuses a book with no positive equity', () => {
    refuse({ ...good, cash: -100 }, 'equity (cash + Σ shares × price) must be > 0');
  });
});
