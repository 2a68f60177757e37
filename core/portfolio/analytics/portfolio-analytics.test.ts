/** portfolioAnalytics on small synthetic books where every figure can be worked by hand. */
import { describe, expect, it } from 'vitest';
import type { PriceSeries } from '../../series/price-series.js';
import { TRADING_DAYS } from '../types.js';
import { portfolioAnalytics } from './portfolio-analytics.js';
import { PortfolioAnalyticsError, type PortfolioAnalyticsInput } from './types.js';

/** Consecutive calendar days from `start` (the analytics only need ascending dates). */
function days(count: number, start = '2024-01-01'): string[] {
  const first = Date.parse(`${start}T00:00:00Z`);
  return Array.from({ length: count }, (_, i) =>
    new Date(first + i * 86_400_000).toISOString().slice(0, 10),
  );
}

/** A series with the given adjusted closes and (raw) closes; open/high/low copy the close. */
function series(
  symbol: string,
  dates: string[],
  adj: number[],
  close: number[] = adj,
): PriceSeries {
  const c = Float64Array.from(close);
  return {
    symbol,
    dates,
    open: c,
    high: c,
    low: c,
    close: c,
    adjClose: Float64Array.from(adj),
    volume: new Float64Array(dates.length),
    scale: 100,
  };
}

/** Prices starting at `start` compounding the given returns (one more price than returns). */
function compound(start: number, returns: number[]): number[] {
  const prices = [start];
  for (const r of returns) prices.push((prices[prices.length - 1] as number) * (1 + r));
  return prices;
}

function sampleStd(values: number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1));
}

/**
 * Two assets, one long and one short, priced at their last raw close:
 *   AAA: 10 shares, average cost 80, last close 100 → value 1,000; unrealised (100 − 80) × 10 = 200,
 *        25 % of the 800 cost basis; realised 50.
 *   BBB: −5 shares (short), average price sold 50, last close 40 → value −200; unrealised
 *        (40 − 50) × −5 = +50, 20 % of the 250 basis; realised −20.
 *   Cash 1,200 → value 1,000 − 200 + 1,200 = 2,000. Weights: AAA 0.5, BBB −0.1, cash 0.6.
 *   Gross exposure (1,000 + 200) / 2,000 = 0.6; net (1,000 − 200) / 2,000 = 0.4.
 * Returns (from the adjusted closes, which differ from the raw ones here): AAA moves 2 × the
 * benchmark each day and BBB 1 ×, so r_p = 0.5 × 2 r_b − 0.1 × r_b = 0.9 r_b and beta = 0.9.
 */
const rb = Array.from(
  { length: 30 },
  (_, t) => ([0.01, -0.02, 0.015, -0.005, 0.004][t % 5] as number) + t / 10_000,
);
const dates31 = days(31);
const twoAssets: PortfolioAnalyticsInput = {
  positions: [
    { symbol: 'BBB', quantity: -5, averageCost: 50, realizedPnl: -20 },
    { symbol: 'AAA', quantity: 10, averageCost: 80, realizedPnl: 50 },
  ],
  cash: 1200,
  history: [
    series(
      'AAA',
      dates31,
      compound(
        30,
        rb.map((r) => 2 * r),
      ),
      Array(31).fill(100),
    ),
    series('BBB', dates31, compound(70, rb), Array(31).fill(40)),
  ],
  benchmark: series('BENCH', dates31, compound(400, rb)),
  asOf: dates31[30] as string,
  options: { stressWindows: [] },
};

describe('portfolioAnalytics: a two-asset book by hand', () => {
  const result = portfolioAnalytics(twoAssets);

  it('values the book and weighs it, shorts negative', () => {
    expect(result.value).toBe(2000);
    expect(result.cash).toBe(1200);
    expect(result.cashWeight).toBe(0.6);
    expect(result.grossExposure).toBe(0.6);
    expect(result.netExposure).toBe(0.4);
    expect(result.weights).toEqual({ AAA: 0.5, BBB: -0.1 });
    expect(Object.keys(result.weights)).toEqual(['AAA', 'BBB']);
  });

  it('reports unrealised and realised P&L per position and in total', () => {
    expect(result.positions).toEqual([
      {
        symbol: 'AAA',
        quantity: 10,
        averageCost: 80,
        price: 100,
        priceSource: 'history',
        priceDate: '2024-01-31',
        marketValue: 1000,
        weight: 0.5,
        costBasis: 800,
        unrealizedPnl: 200,
        unrealizedPnlPct: 0.25,
        realizedPnl: 50,
      },
      {
        symbol: 'BBB',
        quantity: -5,
        averageCost: 50,
        price: 40,
        priceSource: 'history',
        priceDate: '2024-01-31',
        marketValue: -200,
        weight: -0.1,
        costBasis: 250,
        unrealizedPnl: 50,
        unrealizedPnlPct: 0.2,
        realizedPnl: -20,
      },
    ]);
    expect(result.unrealizedPnl).toBe(250);
    expect(result.realizedPnl).toBe(30);
  });

  it('measures beta and volatility of the current weights against the benchmark', () => {
    const risk = result.risk;
    expect(result.riskNote).toBeNull();
    expect(risk?.observations).toBe(30);
    expect(risk?.from).toBe('2024-01-02');
    expect(risk?.to).toBe('2024-01-31');
    expect(risk?.benchmark).toBe('BENCH');
    expect(risk?.beta).toBeCloseTo(0.9, 12);
    expect(risk?.volatility).toBeCloseTo(0.9 * sampleStd(rb) * Math.sqrt(TRADING_DAYS), 12);
    // k = ⌈0.05 × 30⌉ = 2: the second-worst of 0.9 r_b. The worst r_b are −0.02 + t/10⁴ at
    // t = 1, 6, …: −0.0199 and −0.0194.
    expect(risk?.tailCount).toBe(2);
    expect(risk?.var.fraction).toBeCloseTo(0.9 * 0.0194, 12);
    expect(risk?.cvar.fraction).toBeCloseTo((0.9 * (0.0199 + 0.0194)) / 2, 12);
    expect(risk?.var.amount).toBe(Math.round(0.9 * 0.0194 * 2000 * 100) / 100);
  });

  it('uses given prices over the last close, and sorts positions', () => {
    const given = portfolioAnalytics({ ...twoAssets, prices: { AAA: 110, ZZZ: 5 } });
    expect(given.value).toBe(2100);
    expect(given.positions[0]).toMatchObject({
      symbol: 'AAA',
      price: 110,
      priceSource: 'given',
      priceDate: null,
      marketValue: 1100,
      unrealizedPnl: 300,
    });
  });

  it('allows negative cash (a margin debit)', () => {
    const margin = portfolioAnalytics({ ...twoAssets, cash: -300 });
    // 1,000 − 200 − 300 = 500: AAA weighs 2, BBB −0.4, cash −0.6.
    expect(margin.value).toBe(500);
    expect(margin.cashWeight).toBe(-0.6);
    expect(margin.weights).toEqual({ AAA: 2, BBB: -0.4 });
    expect(margin.risk?.beta).toBeCloseTo(2 * 2 - 0.4, 12);
  });

  it('gives an all-cash book zero beta, volatility and VaR', () => {
    const cashOnly = portfolioAnalytics({ ...twoAssets, positions: [], cash: 5000 });
    expect(cashOnly.value).toBe(5000);
    expect(cashOnly.cashWeight).toBe(1);
    expect(cashOnly.risk).toMatchObject({ beta: 0, volatility: 0, observations: 30 });
    expect(cashOnly.risk?.var).toEqual({ fraction: 0, amount: 0 });
  });

  it('values a closed position (quantity 0) without needing its history', () => {
    const closed = portfolioAnalytics({
      ...twoAssets,
      positions: [
        ...twoAssets.positions,
        { symbol: 'GONE', quantity: 0, averageCost: 0, realizedPnl: 12.5 },
      ],
    });
    expect(closed.positions[2]).toMatchObject({
      symbol: 'GONE',
      price: null,
      marketValue: 0,
      weight: 0,
      unrealizedPnlPct: null,
    });
    expect(closed.realizedPnl).toBe(42.5);
    expect(closed.risk?.beta).toBeCloseTo(0.9, 12);
  });
});

describe('portfolioAnalytics: VaR, CVaR and the lookback', () => {
  /**
   * One asset whose 150 returns are 50 crashes of −30 % followed by the 100 returns −5.0 %, −4.9 %,
   * …, +4.9 % in a scrambled order. Half the value is in it (10 shares at a last close of 50 and
   * 500 cash), so r_p = r / 2.
   * Lookback 100 sees only the ladder: k = 5, VaR = 4.6 % / 2 = 2.3 %, CVaR = 4.8 % / 2 = 2.4 %,
   * i.e. 23.00 and 24.00 of the 1,000 value. The default lookback (500) sees all 150 returns:
   * k = ⌈7.5⌉ = 8 crashes, VaR = CVaR = 15 %.
   */
  const ladder = Array.from({ length: 100 }, (_, i) => (((i * 37) % 100) - 50) / 1000);
  const returns = [...Array(50).fill(-0.3), ...ladder];
  const dates = days(151);
  const adj = compound(1000, returns);
  const closes = adj.map((_, i) => (i === 150 ? 50 : 60));
  const input: PortfolioAnalyticsInput = {
    positions: [{ symbol: 'ONE', quantity: 10, averageCost: 40 }],
    cash: 500,
    history: [series('ONE', dates, adj, closes)],
    benchmark: series('ONE', dates, adj, closes),
    asOf: dates[150] as string,
    options: { lookback: 100, stressWindows: [] },
  };

  it('takes the k-th worst of the last `lookback` returns', () => {
    const risk = portfolioAnalytics(input).risk;
    expect(risk?.observations).toBe(100);
    expect(risk?.from).toBe(dates[51]);
    expect(risk?.tailCount).toBe(5);
    expect(risk?.var.fraction).toBeCloseTo(0.023, 12);
    expect(risk?.cvar.fraction).toBeCloseTo(0.024, 12);
    expect(risk?.var.amount).toBe(23);
    expect(risk?.cvar.amount).toBe(24);
    expect(risk?.beta).toBeCloseTo(0.5, 12);
  });

  it('sees the older crashes with the default lookback of 500', () => {
    const risk = portfolioAnalytics({ ...input, options: { stressWindows: [] } }).risk;
    expect(risk?.observations).toBe(150);
    expect(risk?.tailCount).toBe(8);
    expect(risk?.var.fraction).toBeCloseTo(0.15, 12);
    expect(risk?.cvar.fraction).toBeCloseTo(0.15, 12);
    expect(risk?.var.amount).toBe(150);
  });

  it('gives no risk figures, with a note, on fewer than 20 shared returns', () => {
    const short = portfolioAnalytics({ ...input, asOf: dates[10] as string });
    expect(short.risk).toBeNull();
    expect(short.riskNote).toContain('only 10 daily returns');
    expect(short.riskNote).toContain('at least 20');
  });

  it('uses only the dates every held symbol and the benchmark share', () => {
    // TWO lacks 5 of the 151 days: 146 shared dates, 145 returns (each spanning any gap).
    const gaps = new Set([3, 40, 41, 100, 149]);
    const keep = dates.map((_, i) => i).filter((i) => !gaps.has(i));
    const two = series(
      'TWO',
      keep.map((i) => dates[i] as string),
      keep.map((i) => adj[i] as number),
    );
    const result = portfolioAnalytics({
      ...input,
      positions: [...input.positions, { symbol: 'TWO', quantity: 1, averageCost: 1 }],
      history: [...input.history, two],
      options: { stressWindows: [] },
    });
    expect(result.risk?.observations).toBe(145);
    expect(result.risk?.to).toBe(dates[150]);
  });
});

describe('portfolioAnalytics: asOf', () => {
  const dates = days(80);
  const adjA = compound(
    50,
    Array.from({ length: 79 }, (_, t) => Math.sin(t) / 50),
  );
  const adjB = compound(
    20,
    Array.from({ length: 79 }, (_, t) => Math.cos(t * 1.3) / 40),
  );
  const asOf = dates[59] as string;
  const base = (a: PriceSeries, b: PriceSeries, bench: PriceSeries): PortfolioAnalyticsInput => ({
    positions: [
      { symbol: 'AAA', quantity: 3, averageCost: 45 },
      { symbol: 'BBB', quantity: -7, averageCost: 22 },
    ],
    cash: 400,
    history: [a, b],
    benchmark: bench,
    asOf,
    options: {
      stressWindows: [{ name: 'late', from: dates[40] as string, to: dates[79] as string }],
    },
  });

  it('ignores every bar after asOf, even nonsense ones', () => {
    const cut = (s: PriceSeries, n: number) =>
      series(s.symbol, s.dates.slice(0, n), [...s.adjClose.slice(0, n)], [...s.close.slice(0, n)]);
    const wild = (s: PriceSeries) => {
      const adj = [...s.adjClose];
      const close = [...s.close];
      for (let i = 60; i < 80; i++) {
        adj[i] = i % 2 === 0 ? Number.NaN : 1e9;
        close[i] = -1;
      }
      return series(s.symbol, s.dates, adj, close);
    };
    const a = series('AAA', dates, adjA);
    const b = series('BBB', dates, adjB);
    const bench = series(
      'IDX',
      dates,
      adjA.map((x, i) => x + (adjB[i] as number)),
    );
    const full = portfolioAnalytics(base(wild(a), wild(b), wild(bench)));
    const truncated = portfolioAnalytics(base(cut(a, 60), cut(b, 60), cut(bench, 60)));
    expect(full).toEqual(truncated);
    expect(full.positions[0]?.priceDate).toBe(asOf);
    const late = full.stress[0];
    expect(late?.available && late.end).toBe(asOf);
  });

  it('says a window after asOf cannot be replayed', () => {
    const a = series('AAA', dates, adjA);
    const b = series('BBB', dates, adjB);
    const result = portfolioAnalytics({
      ...base(a, b, a),
      options: {
        stressWindows: [{ name: 'future', from: dates[70] as string, to: dates[79] as string }],
      },
    });
    expect(result.stress[0]).toEqual({
      available: false,
      name: 'future',
      from: dates[70],
      to: dates[79],
      reason: `asOf ${asOf} is before the window starts (${dates[70]})`,
    });
  });
});

describe('portfolioAnalytics: bad input', () => {
  const refuse = (input: PortfolioAnalyticsInput, message: string) =>
    expect(() => portfolioAnalytics(input)).toThrow(message);

  it('refuses a held symbol without history, naming it', () => {
    refuse(
      {
        ...twoAssets,
        positions: [...twoAssets.positions, { symbol: 'ZZZ', quantity: 5, averageCost: 1 }],
      },
      'no price history for ZZZ (5 shares held): pass its series in history',
    );
  });

  it('refuses an asOf before the data of a held symbol or of the benchmark', () => {
    refuse(
      { ...twoAssets, asOf: '2023-12-31' },
      'AAA has no bars on or before asOf 2023-12-31; its data starts 2024-01-01',
    );
    refuse(
      { ...twoAssets, benchmark: series('LATE', days(5, '2024-02-01'), [1, 2, 3, 4, 5]) },
      'the benchmark LATE has no bars on or before asOf 2024-01-31; its data starts 2024-02-01',
    );
  });

  it('refuses non-finite numbers and bad values, naming them', () => {
    const withPosition = (change: object) => ({
      ...twoAssets,
      positions: [
        { ...(twoAssets.positions[1] as PortfolioAnalyticsInput['positions'][number]), ...change },
      ],
    });
    refuse(
      withPosition({ quantity: Number.NaN }),
      'positions[0] (AAA).quantity must be a finite number of shares, got NaN',
    );
    refuse(
      withPosition({ averageCost: -1 }),
      'positions[0] (AAA).averageCost must be a finite price ≥ 0, got -1',
    );
    refuse(
      withPosition({ realizedPnl: Number.POSITIVE_INFINITY }),
      'realizedPnl must be a finite amount, got Infinity',
    );
    refuse(
      { ...twoAssets, cash: Number.NaN },
      'cash must be a finite number (negative for a margin debit), got NaN',
    );
    refuse(
      { ...twoAssets, prices: { AAA: Number.NaN } },
      'prices.AAA must be a finite price > 0, got NaN',
    );
    refuse(
      { ...twoAssets, asOf: '2024-13-01' },
      'asOf must be an ISO date YYYY-MM-DD, got "2024-13-01"',
    );
    refuse(
      { ...twoAssets, options: { confidence: 95 } },
      'confidence must be a fraction strictly between 0 and 1',
    );
    refuse(
      { ...twoAssets, options: { lookback: 5 } },
      'lookback must be a whole number of daily returns ≥ 20, got 5',
    );
    refuse(
      {
        ...twoAssets,
        positions: [...twoAssets.positions, { symbol: 'AAA', quantity: 1, averageCost: 1 }],
      },
      'AAA appears twice in positions',
    );
  });

  it('refuses a book whose value is not positive', () => {
    refuse({ ...twoAssets, cash: -800 }, 'portfolio value (Σ quantity × price + cash) must be > 0');
  });

  it('is a PortfolioAnalyticsError', () => {
    expect(() => portfolioAnalytics({ ...twoAssets, cash: Number.NaN })).toThrow(
      PortfolioAnalyticsError,
    );
  });
});
