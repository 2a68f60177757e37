/**
 * The 2008 and 2020 stress windows and the risk figures on the bundled sample prices, checked
 * against a deliberately plain recomputation (linear scans, no shared code) in this file.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { sampleLines } from '../../../test/helpers/fixtures.js';
import { type PriceSeries, sliceSeries } from '../../series/price-series.js';
import { portfolioAnalytics } from './portfolio-analytics.js';
import {
  type PortfolioAnalyticsInput,
  STRESS_WINDOWS,
  type StressReplay,
  type StressResult,
} from './types.js';

async function load(symbol: string): Promise<PriceSeries> {
  const rows = (await sampleLines(symbol)).slice(1).map((line) => line.split(','));
  const column = (k: number) => Float64Array.from(rows, (row) => Number(row[k]));
  return {
    symbol,
    dates: rows.map((row) => row[0] as string),
    open: column(1),
    high: column(2),
    low: column(3),
    close: column(4),
    adjClose: column(5),
    volume: column(6),
    scale: 10_000,
  };
}

function replayed(result: StressResult | undefined): StressReplay {
  if (!result?.available) throw new Error(`not replayed: ${JSON.stringify(result)}`);
  return result;
}

/** The adjusted close of the last bar on or before `day` (a linear scan), or undefined. */
function priceOn(series: PriceSeries, day: string): number | undefined {
  let price: number | undefined;
  for (let i = 0; i < series.dates.length && (series.dates[i] as string) <= day; i++) {
    price = series.adjClose[i];
  }
  return price;
}

/** Buy-and-hold of `weights` through [from, to], written out plainly. */
function plainReplay(
  holdings: { series: PriceSeries; weight: number }[],
  benchmark: PriceSeries,
  from: string,
  to: string,
) {
  const all = [...holdings.map((h) => h.series), benchmark];
  const calendar = [
    ...new Set(all.flatMap((s) => s.dates.filter((d) => d >= from && d <= to))),
  ].sort();
  const start = calendar[0] as string;
  const inWindow = (s: PriceSeries) => s.dates.some((d) => d >= from && d <= to);
  const covered = holdings.filter(
    (h) => priceOn(h.series, start) !== undefined && inWindow(h.series),
  );
  const missing = holdings.filter((h) => !covered.includes(h)).map((h) => h.series.symbol);
  const path = calendar.map((day) => {
    let v = 1;
    for (const h of covered) {
      v +=
        h.weight * ((priceOn(h.series, day) as number) / (priceOn(h.series, start) as number) - 1);
    }
    return v;
  });
  let maxDrawdown = 0;
  for (let t = 0; t < path.length; t++) {
    const peak = Math.max(...path.slice(0, t + 1));
    maxDrawdown = Math.max(maxDrawdown, 1 - (path[t] as number) / peak);
  }
  return { calendar, missing, portfolioReturn: (path[path.length - 1] as number) - 1, maxDrawdown };
}

/** The benchmark's return straight from its rows: first bar in the window to the last. */
function plainBenchmarkReturn(series: PriceSeries, from: string, to: string): number {
  const inside = series.dates.map((d, i) => [d, i] as const).filter(([d]) => d >= from && d <= to);
  const first = (inside[0] as readonly [string, number])[1];
  const last = (inside[inside.length - 1] as readonly [string, number])[1];
  return (series.adjClose[last] as number) / (series.adjClose[first] as number) - 1;
}

const ASOF = '2021-04-21';
let sample: Record<string, PriceSeries>;

beforeAll(async () => {
  const symbols = ['AAPL', 'JPM', 'XOM', 'GOOGL', 'MSFT', 'KO'];
  const loaded = await Promise.all(symbols.map(load));
  sample = Object.fromEntries(loaded.map((s) => [s.symbol, s]));
});

function book(history: PriceSeries[]): PortfolioAnalyticsInput {
  return {
    positions: [
      { symbol: 'AAPL', quantity: 100, averageCost: 90 },
      { symbol: 'JPM', quantity: -50, averageCost: 120 },
      { symbol: 'XOM', quantity: 200, averageCost: 60 },
      { symbol: 'GOOGL', quantity: 10, averageCost: 1500 },
    ],
    cash: 10_000,
    history,
    benchmark: sample.KO as PriceSeries,
    asOf: ASOF,
  };
}

/** Weights from the last raw closes, computed plainly. */
function plainWeights(input: PortfolioAnalyticsInput): Map<string, number> {
  const values = input.positions.map((p) => {
    const s = input.history.find((h) => h.symbol === p.symbol) as PriceSeries;
    return [p.symbol, p.quantity * (s.close[s.close.length - 1] as number)] as const;
  });
  const total = values.reduce((a, [, v]) => a + v, input.cash);
  return new Map(values.map(([symbol, v]) => [symbol, v / total]));
}

describe('stress windows on the sample prices', () => {
  it('replays 2008-09-01..2009-03-31 and 2020-02-01..2020-03-31 buy-and-hold', () => {
    const input = book(['AAPL', 'JPM', 'XOM', 'GOOGL'].map((s) => sample[s] as PriceSeries));
    const result = portfolioAnalytics(input);
    const weights = plainWeights(input);
    expect(result.stress.map((s) => s.name)).toEqual(STRESS_WINDOWS.map((w) => w.name));
    for (const [k, window] of STRESS_WINDOWS.entries()) {
      const got = replayed(result.stress[k]);
      const holdings = input.history.map((series) => ({
        series,
        weight: weights.get(series.symbol) as number,
      }));
      const plain = plainReplay(holdings, sample.KO as PriceSeries, window.from, window.to);
      expect(got.start).toBe(plain.calendar[0]);
      expect(got.end).toBe(plain.calendar[plain.calendar.length - 1]);
      expect(got.days).toBe(plain.calendar.length);
      expect(got.missing).toEqual([]);
      expect(got.missingWeight).toBe(0);
      expect(got.portfolioReturn).toBeCloseTo(plain.portfolioReturn, 12);
      expect(got.maxDrawdown).toBeCloseTo(plain.maxDrawdown, 12);
      expect(got.portfolioPnl).toBeCloseTo(plain.portfolioReturn * result.value, 1);
      expect(got.benchmarkReturn).toBeCloseTo(
        plainBenchmarkReturn(sample.KO as PriceSeries, window.from, window.to),
        12,
      );
    }
    const crisis = replayed(result.stress[0]);
    expect(crisis.start).toBe('2008-09-02'); // 09-01 was Labor Day
    expect(crisis.end).toBe('2009-03-31');
    expect(crisis.maxDrawdown).toBeGreaterThan(0.2);
    const covid = replayed(result.stress[1]);
    expect(covid.start).toBe('2020-02-03');
    expect(covid.end).toBe('2020-03-31');
    expect(covid.portfolioReturn).toBeLessThan(0);
  });

  it('treats symbols without data for a window as cash and lists them', () => {
    // GOOGL from 2010 only (absent in 2008); MSFT from 2008-12-01 (no bar on the window's first day).
    const googl = sliceSeries(sample.GOOGL as PriceSeries, '2010-01-01');
    const msft = sliceSeries(sample.MSFT as PriceSeries, '2008-12-01');
    const input = book([sample.AAPL, sample.JPM, sample.XOM, googl, msft] as PriceSeries[]);
    input.positions = [...input.positions, { symbol: 'MSFT', quantity: 30, averageCost: 200 }];
    const result = portfolioAnalytics(input);
    const weights = plainWeights(input);
    const crisis = replayed(result.stress[0]);
    expect(crisis.missing).toEqual(['GOOGL', 'MSFT']);
    expect(crisis.missingWeight).toBeCloseTo(
      (weights.get('GOOGL') as number) + (weights.get('MSFT') as number),
      14,
    );
    const holdings = input.history.map((series) => ({
      series,
      weight: weights.get(series.symbol) as number,
    }));
    const plain = plainReplay(holdings, sample.KO as PriceSeries, '2008-09-01', '2009-03-31');
    expect(plain.missing).toEqual(['GOOGL', 'MSFT']);
    expect(crisis.portfolioReturn).toBeCloseTo(plain.portfolioReturn, 12);
    expect(crisis.maxDrawdown).toBeCloseTo(plain.maxDrawdown, 12);
    // The same book without the missing names, their weight in cash: the same replay.
    const held = holdings.filter((h) => !['GOOGL', 'MSFT'].includes(h.series.symbol));
    expect(crisis.portfolioReturn).toBeCloseTo(
      plainReplay(held, sample.KO as PriceSeries, '2008-09-01', '2009-03-31').portfolioReturn,
      12,
    );
    expect(replayed(result.stress[1]).missing).toEqual([]);
  });

  it('clips a window at asOf and reads nothing later', () => {
    const history = ['AAPL', 'JPM', 'XOM', 'GOOGL'].map((s) => sample[s] as PriceSeries);
    const asOf = '2020-03-13';
    const full = portfolioAnalytics({ ...book(history), asOf });
    const cut = portfolioAnalytics({
      ...book(history.map((s) => sliceSeries(s, undefined, asOf))),
      benchmark: sliceSeries(sample.KO as PriceSeries, undefined, asOf),
      asOf,
    });
    expect(full).toEqual(cut);
    const covid = replayed(full.stress[1]);
    expect(covid.end).toBe('2020-03-13');
    expect(full.positions.every((p) => p.priceDate === '2020-03-13')).toBe(true);
  });
});

describe('risk figures on the sample prices', () => {
  it('matches a plain beta, VaR and CVaR over the last 500 shared returns', () => {
    const input = book(['AAPL', 'JPM', 'XOM', 'GOOGL'].map((s) => sample[s] as PriceSeries));
    const risk = portfolioAnalytics(input).risk;
    const weights = plainWeights(input);
    const kodates = (sample.KO as PriceSeries).dates.filter((d) => d <= ASOF);
    const sets = input.history.map((s) => new Set(s.dates));
    const shared = kodates.filter((d) => sets.every((set) => set.has(d))).slice(-501);
    const ret = (s: PriceSeries, t: number) =>
      (priceOn(s, shared[t] as string) as number) /
        (priceOn(s, shared[t - 1] as string) as number) -
      1;
    const rp: number[] = [];
    const rb: number[] = [];
    for (let t = 1; t < shared.length; t++) {
      rp.push(input.history.reduce((a, s) => a + (weights.get(s.symbol) as number) * ret(s, t), 0));
      rb.push(ret(sample.KO as PriceSeries, t));
    }
    const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;
    const mp = mean(rp);
    const mb = mean(rb);
    const cov = rp.reduce((a, r, t) => a + (r - mp) * ((rb[t] as number) - mb), 0);
    const varB = rb.reduce((a, r) => a + (r - mb) ** 2, 0);
    const sorted = [...rp].sort((a, b) => a - b);
    expect(risk?.observations).toBe(500);
    expect(risk?.to).toBe(ASOF);
    expect(risk?.from).toBe(shared[1]);
    expect(risk?.tailCount).toBe(25);
    expect(risk?.beta).toBeCloseTo(cov / varB, 10);
    expect(risk?.var.fraction).toBeCloseTo(-(sorted[24] as number), 12);
    expect(risk?.cvar.fraction).toBeCloseTo(-mean(sorted.slice(0, 25)), 12);
  });
});
