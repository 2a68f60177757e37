/** computeMetrics on hand-worked curves: every figure checked against arithmetic shown in the comments. */
import { describe, expect, it } from 'vitest';
import type { Trade } from '../engine/trade.js';
import { computeMetrics, type MetricsInput } from './compute-metrics.js';

const curve = (...values: number[]): Float64Array => Float64Array.from(values);

/** Consecutive calendar days from `start` (weekends included: the figures only need ascending dates). */
function days(count: number, start = '2024-01-01'): string[] {
  const first = Date.parse(`${start}T00:00:00Z`);
  return Array.from({ length: count }, (_, i) =>
    new Date(first + i * 86_400_000).toISOString().slice(0, 10),
  );
}

function trade(pnl: number, returnPct: number, bars: number): Trade {
  return {
    symbol: 'AAA',
    direction: 'long',
    entryDate: '2024-01-01',
    entryPrice: 100,
    exitDate: '2024-01-02',
    exitPrice: 100 + pnl,
    quantity: 1,
    pnl,
    returnPct,
    bars,
    exitReason: 'signal',
  };
}

/**
 * Equity 100 → 110 → 99 → 108.9: returns +10 %, −10 %, +10 %.
 *   mean = 1/30; sample variance = ((1/15)² + (2/15)² + (1/15)²) / 2 = 0.04/3; std = 0.2/√3
 *   annual volatility = 0.2/√3 × √252 = 0.2√84 ≈ 1.833030
 *   Sharpe = (1/30) / (0.2/√3) × √252 = (√3/6)·√252 = √21 ≈ 4.582576
 *   downside deviation = √((0 + 0.01 + 0)/3) = 0.1/√3; Sortino = (1/30)/(0.1/√3)·√252 = 2√21
 * The first and last dates are 1461 days apart (2020 is a leap year): exactly 4 years of 365.25,
 * so CAGR = 1.089^(1/4) − 1 ≈ 0.0215437.
 * Peak 110 on 2021-06-01, trough 99 on 2022-03-01, depth 1 − 99/110 = 0.1, never recovered:
 * 2 bars and 944 days to the last date. Largest fall 11, net profit 8.9: recovery factor 8.9/11.
 * Benchmark 100 → 105 → 99.75 → 104.7375: +5 %, −5 %, +5 %, exactly half the strategy's moves,
 *   so beta = 2, alpha = (1/30 − 2·1/60)·252 = 0, and the active return (+5 %, −5 %, +5 %) has
 *   mean 1/60 and std 0.1/√3: information ratio = √21.
 * Mean equity 417.9/4 = 104.475; traded notional 835.8 → (835.8/2)/104.475/4 years = 1.0.
 */
const handWorked: MetricsInput = {
  dates: ['2020-01-01', '2021-06-01', '2022-03-01', '2024-01-01'],
  equity: curve(100, 110, 99, 108.9),
  exposure: curve(0, 0.5, 1, 0.5),
  tradedNotional: 835.8,
  trades: [],
  benchmark: curve(100, 105, 99.75, 104.7375),
};

describe('computeMetrics on a hand-worked curve', () => {
  const metrics = computeMetrics(handWorked);

  it.each([
    ['totalReturn', 0.089],
    ['cagr', 1.089 ** 0.25 - 1],
    ['annualVolatility', 0.2 * Math.sqrt(84)],
    ['sharpe', Math.sqrt(21)],
    ['sortino', 2 * Math.sqrt(21)],
    ['calmar', (1.089 ** 0.25 - 1) / 0.1],
    ['exposure', 0.5],
    ['turnover', 1],
    ['recoveryFactor', 8.9 / 11],
    ['beta', 2],
    ['alpha', 0],
    ['informationRatio', Math.sqrt(21)],
  ] as const)('%s = %d', (figure, expected) => {
    expect(metrics[figure]).toBeCloseTo(expected, 10);
  });

  it('reports the span of the run', () => {
    expect(metrics).toMatchObject({
      startDate: '2020-01-01',
      endDate: '2024-01-01',
      bars: 4,
      startEquity: 100,
      endEquity: 108.9,
    });
    expect(metrics.cagr).toBeCloseTo(0.0215437474, 9);
  });

  it('dates a drawdown that never recovered up to the last bar', () => {
    expect(metrics.maxDrawdown.depth).toBeCloseTo(0.1, 12);
    expect(metrics.maxDrawdown).toMatchObject({
      peakDate: '2021-06-01',
      troughDate: '2022-03-01',
      recoveryDate: null,
      durationBars: 2,
      durationDays: 944,
    });
  });

  it('takes the annual risk-free rate per bar as rf / 252', () => {
    // rf = 2.52 a year is 0.01 a bar. Excess returns +9 %, −11 %, +9 %: mean 7/300.
    //   Sharpe = (7/300)/(0.2/√3)·√252 = 0.7√21; downside = 0.11/√3 → Sortino = (14/11)√21;
    //   alpha = ((1/30 − 0.01) − 2·(1/60 − 0.01))·252 = 0.01·252 = 2.52. IR ignores rf.
    const withRate = computeMetrics({ ...handWorked, riskFreeRate: 2.52 });
    expect(withRate.sharpe).toBeCloseTo(0.7 * Math.sqrt(21), 10);
    expect(withRate.sortino).toBeCloseTo((14 / 11) * Math.sqrt(21), 10);
    expect(withRate.alpha).toBeCloseTo(2.52, 10);
    expect(withRate.beta).toBeCloseTo(2, 10);
    expect(withRate.informationRatio).toBeCloseTo(Math.sqrt(21), 10);
  });

  it('annualises with periodsPerYear', () => {
    // Weekly bars: the same per-bar figures scaled by √52 instead of √252.
    const weekly = computeMetrics({ ...handWorked, periodsPerYear: 52 });
    expect(weekly.annualVolatility).toBeCloseTo((0.2 / Math.sqrt(3)) * Math.sqrt(52), 10);
    expect(weekly.sharpe).toBeCloseTo((Math.sqrt(3) / 6) * Math.sqrt(52), 10);
  });
});

describe('computeMetrics trade figures', () => {
  it('summarises the trades (details in trade-figures.test.ts)', () => {
    const metrics = computeMetrics({
      ...handWorked,
      trades: [trade(100, 0.05, 3), trade(-50, -0.02, 5), trade(0, 0, 1), trade(30, 0.1, 10)],
    });
    // Wins 100 and 30, loss 50, one flat trade that is not a win.
    expect(metrics).toMatchObject({
      tradeCount: 4,
      winRate: 0.5,
      profitFactor: 130 / 50,
      expectancy: 80 / 4,
      averageWin: 65,
      averageLoss: -50,
      averageHoldingBars: 19 / 4,
      bestTrade: 0.1,
      worstTrade: -0.02,
    });
  });
});

describe('computeMetrics edge cases', () => {
  it('flat equity: zero volatility, and every ratio over it null', () => {
    const metrics = computeMetrics({
      dates: days(4),
      equity: curve(100, 100, 100, 100),
      exposure: curve(0, 0, 0, 0),
      tradedNotional: 0,
      trades: [],
      benchmark: curve(50, 50, 50, 50),
    });
    expect(metrics).toMatchObject({
      totalReturn: 0,
      cagr: 0,
      annualVolatility: 0,
      sharpe: null,
      sortino: null,
      calmar: null,
      recoveryFactor: null,
      exposure: 0,
      turnover: 0,
      beta: null,
      alpha: null,
      informationRatio: null,
    });
    expect(metrics.maxDrawdown).toEqual({
      depth: 0,
      peakDate: '2024-01-01',
      troughDate: '2024-01-01',
      recoveryDate: '2024-01-01',
      durationBars: 0,
      durationDays: 0,
    });
  });

  it('no trades: count 0 and every trade figure null', () => {
    const metrics = computeMetrics(handWorked);
    expect(metrics).toMatchObject({
      tradeCount: 0,
      winRate: null,
      profitFactor: null,
      expectancy: null,
      averageWin: null,
      averageLoss: null,
      averageHoldingBars: null,
      bestTrade: null,
      worstTrade: null,
    });
  });

  it('all trades winning: profit factor and average loss null, win rate 1', () => {
    const metrics = computeMetrics({
      ...handWorked,
      trades: [trade(10, 0.01, 2), trade(30, 0.03, 4)],
    });
    expect(metrics).toMatchObject({
      tradeCount: 2,
      winRate: 1,
      profitFactor: null,
      averageWin: 20,
      averageLoss: null,
      expectancy: 20,
    });
  });

  it('a single bar: no returns, no calendar time, no drawdown', () => {
    const metrics = computeMetrics({
      dates: ['2024-03-15'],
      equity: curve(1000),
      exposure: curve(0.3),
      tradedNotional: 300,
      trades: [],
      benchmark: curve(1000),
    });
    expect(metrics).toMatchObject({
      startDate: '2024-03-15',
      endDate: '2024-03-15',
      bars: 1,
      totalReturn: 0,
      cagr: null,
      annualVolatility: null,
      sharpe: null,
      sortino: null,
      calmar: null,
      exposure: 0.3,
      // Nothing to annualise over: 0 by the turnover convention (see figures.ts).
      turnover: 0,
      recoveryFactor: null,
      beta: null,
      alpha: null,
      informationRatio: null,
    });
    expect(metrics.maxDrawdown).toEqual({
      depth: 0,
      peakDate: '2024-03-15',
      troughDate: '2024-03-15',
      recoveryDate: '2024-03-15',
      durationBars: 0,
      durationDays: 0,
    });
  });

  it('two bars: one return has a mean but no sample spread', () => {
    // 2024-01-01 → 2024-01-02 is 1 day = 1/365.25 years: CAGR = 1.01^365.25 − 1.
    const metrics = computeMetrics({
      dates: days(2),
      equity: curve(100, 101),
      exposure: curve(1, 1),
      tradedNotional: 0,
      trades: [],
    });
    expect(metrics.totalReturn).toBeCloseTo(0.01, 12);
    expect(metrics.cagr).toBeCloseTo(1.01 ** 365.25 - 1, 8);
    expect(metrics.annualVolatility).toBeNull();
    expect(metrics.sharpe).toBeNull();
    expect(metrics.sortino).toBeNull();
  });

  it('a curve growing by the same factor every bar has no volatility to divide by', () => {
    // Rounding leaves a spread of about 1e-17 per bar; a Sharpe ratio of 1e15 would be noise.
    const equity = Float64Array.from({ length: 300 }, (_, i) => 100 * 1.001 ** i);
    const metrics = computeMetrics({
      dates: days(300),
      equity,
      exposure: new Float64Array(300),
      tradedNotional: 0,
      trades: [],
    });
    expect(metrics.annualVolatility).toBeLessThan(1e-12);
    expect(metrics.sharpe).toBeNull();
    expect(metrics.sortino).toBeNull();
    expect(metrics.maxDrawdown.depth).toBe(0);
  });

  it('equity that hit zero before the last bar leaves returns undefined', () => {
    const metrics = computeMetrics({
      dates: days(4),
      equity: curve(100, 50, 0, 10),
      exposure: curve(1, 1, 0, 1),
      tradedNotional: 0,
      trades: [],
    });
    expect(metrics.totalReturn).toBeCloseTo(-0.9, 12);
    expect(metrics.annualVolatility).toBeNull();
    expect(metrics.sharpe).toBeNull();
    expect(metrics.maxDrawdown).toMatchObject({ depth: 1, troughDate: '2024-01-03' });
  });

  it('equity that hits zero on the last bar still has returns (−50 %, −100 %)', () => {
    // mean −0.75, sample std √((0.25² + 0.25²)/1) = 0.25√2.
    const metrics = computeMetrics({
      dates: days(3),
      equity: curve(100, 50, 0),
      exposure: curve(1, 1, 1),
      tradedNotional: 0,
      trades: [],
    });
    expect(metrics.annualVolatility).toBeCloseTo(0.25 * Math.sqrt(2) * Math.sqrt(252), 10);
    expect(metrics.sharpe).toBeCloseTo((-0.75 / (0.25 * Math.sqrt(2))) * Math.sqrt(252), 10);
    expect(metrics.cagr).toBeCloseTo(-1, 12);
  });

  it('a benchmark the strategy tracks exactly has beta 1, alpha 0 and no information ratio', () => {
    const equity = curve(100, 103, 101, 106, 104);
    const metrics = computeMetrics({
      dates: days(5),
      equity,
      exposure: curve(1, 1, 1, 1, 1),
      tradedNotional: 0,
      trades: [],
      benchmark: equity.slice(),
    });
    expect(metrics.beta).toBeCloseTo(1, 12);
    expect(metrics.alpha).toBeCloseTo(0, 12);
    expect(metrics.informationRatio).toBeNull();
  });

  it('serialises to JSON without losing a figure', () => {
    const metrics = computeMetrics({ ...handWorked, trades: [trade(10, 0.1, 1)] });
    expect(JSON.parse(JSON.stringify(metrics))).toEqual(metrics);
  });
});

describe('computeMetrics input checks', () => {
  const base: MetricsInput = {
    dates: days(3),
    equity: curve(100, 101, 102),
    exposure: curve(0, 0, 0),
    tradedNotional: 0,
    trades: [],
  };

  it.each<[string, Partial<MetricsInput>, string]>([
    ['no bars', { dates: [], equity: curve(), exposure: curve() }, 'at least 1 bar, got 0'],
    ['short equity', { equity: curve(100, 101) }, 'equity has 2 values but dates has 3'],
    ['long exposure', { exposure: curve(0, 0, 0, 0) }, 'exposure has 4 values but dates has 3'],
    ['short benchmark', { benchmark: curve(1, 1) }, 'benchmark has 2 values but dates has 3'],
    ['NaN equity', { equity: curve(100, Number.NaN, 102) }, 'equity[1] is NaN (2024-01-02)'],
    [
      'infinite exposure',
      { exposure: curve(0, 0, Number.POSITIVE_INFINITY) },
      'exposure[2] is Infinity (2024-01-03)',
    ],
    ['NaN benchmark', { benchmark: curve(1, 1, Number.NaN) }, 'benchmark[2] is NaN'],
    [
      'zero capital',
      { equity: curve(0, 101, 102) },
      'equity[0] is 0; the starting equity must be > 0',
    ],
    ['zero benchmark start', { benchmark: curve(0, 1, 1) }, 'benchmark[0] is 0'],
    [
      'descending dates',
      { dates: ['2024-01-03', '2024-01-02', '2024-01-01'] },
      'dates must ascend',
    ],
    [
      'bad date',
      { dates: ['2024-01-01', '2024-01-02', '2024-13-01'] },
      'not an ISO date: "2024-13-01"',
    ],
    ['bad rate', { riskFreeRate: Number.NaN }, 'riskFreeRate is NaN'],
    ['zero periods', { periodsPerYear: 0 }, 'periodsPerYear is 0; expected a finite number > 0'],
    ['negative notional', { tradedNotional: -1 }, 'tradedNotional is -1'],
  ])('rejects %s', (_, change, message) => {
    expect(() => computeMetrics({ ...base, ...change })).toThrow(RangeError);
    expect(() => computeMetrics({ ...base, ...change })).toThrow(message);
  });
});
