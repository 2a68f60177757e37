/** screenStocks on the bundled sample prices: every factor against a plain textbook loop, no look-ahead, and the score's bookkeeping. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_DIR, sampleLines } from '../../test/helpers/fixtures.js';
import { type PriceSeries, sliceSeries } from '../series/price-series.js';
import { FACTOR_NAMES, type FactorName } from './factors.js';
import { type ScreenRow, type ScreenUniverse, screenStocks } from './screen.js';

async function loadSample(symbol: string): Promise<PriceSeries> {
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

async function loadUniverse(): Promise<ScreenUniverse> {
  const text = await readFile(path.join(SAMPLE_DIR, 'constituents.csv'), 'utf8');
  const sectors: Record<string, string> = {};
  for (const line of text.trim().split('\n').slice(1)) {
    const cells = line.split(',');
    sectors[cells[0] as string] = cells[cells.length - 1] as string;
  }
  const series = await Promise.all(Object.keys(sectors).map(loadSample));
  return { series, sectors };
}

/** Everything a factor formula says, written out longhand from the whole series up to bar t. */
function textbook(s: PriceSeries, t: number) {
  const p = Array.from(s.adjClose.subarray(0, t + 1));
  const at = (k: number) => p[k] as number;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const out: Partial<Record<FactorName, number>> = {};
  if (t >= 252) out.momentum_12_1 = at(t - 21) / at(t - 252) - 1;
  if (t >= 21) out.reversal_1m = -(at(t) / at(t - 21) - 1);
  if (t >= 63) {
    const returns = [];
    for (let k = t - 62; k <= t; k++) returns.push(at(k) / at(k - 1) - 1);
    const m = mean(returns);
    const variance = returns.reduce((a, r) => a + (r - m) ** 2, 0) / (returns.length - 1);
    out.volatility = Math.sqrt(252 * variance);
  }
  if (t >= 14) {
    // Wilder from the very first bar: seed with the mean of the first 14 changes, then smooth.
    let gain = 0;
    let loss = 0;
    for (let k = 1; k <= 14; k++) {
      gain += Math.max(at(k) - at(k - 1), 0) / 14;
      loss += Math.max(at(k - 1) - at(k), 0) / 14;
    }
    for (let k = 15; k <= t; k++) {
      gain = (gain * 13 + Math.max(at(k) - at(k - 1), 0)) / 14;
      loss = (loss * 13 + Math.max(at(k - 1) - at(k), 0)) / 14;
    }
    out.rsi = 100 - 100 / (1 + gain / loss);
  }
  if (t >= 251) {
    const highs = [];
    for (let k = t - 251; k <= t; k++) {
      highs.push(((s.high[k] as number) / (s.close[k] as number)) * at(k));
    }
    out.distance_52w_high = at(t) / Math.max(...highs) - 1;
    out.drawdown = at(t) / Math.max(...p.slice(t - 251)) - 1;
  }
  if (t >= 125) {
    // Ordinary least squares of ln(price) on 0..125 with the n·Σxy − Σx·Σy formulas.
    const ys = p.slice(t - 125).map(Math.log);
    const n = ys.length;
    const xs = ys.map((_, x) => x);
    const sx = xs.reduce((a, b) => a + b, 0);
    const sy = ys.reduce((a, b) => a + b, 0);
    const sxy = xs.reduce((a, x, i) => a + x * (ys[i] as number), 0);
    const sxx = xs.reduce((a, x) => a + x * x, 0);
    const syy = ys.reduce((a, y) => a + y * y, 0);
    const slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    const r = (n * sxy - sx * sy) / Math.sqrt((n * sxx - sx * sx) * (n * syy - sy * sy));
    out.trend_strength = Math.sign(slope) * r * r;
  }
  let traded = 0;
  for (let k = t - 19; k <= t; k++) traded += (s.close[k] as number) * (s.volume[k] as number);
  return { factors: out, price: s.close[t] as number, dollarVolume: traded / 20 };
}

/** Bar index of the last date on or before `asOf`, by a linear walk. */
function barOnOrBefore(s: PriceSeries, asOf: string): number {
  let t = -1;
  for (let k = 0; k < s.dates.length && (s.dates[k] as string) <= asOf; k++) t = k;
  return t;
}

const everyFactor = { top: 500 };

let universe: ScreenUniverse;
beforeAll(async () => {
  universe = await loadUniverse();
});

function rowOf(rows: ScreenRow[], symbol: string): ScreenRow {
  const row = rows.find((r) => r.symbol === symbol);
  if (!row) throw new Error(`${symbol} is not in the rows`);
  return row;
}

describe('factors on real prices', () => {
  it.each([
    // AAPL's 4:1 split of 2020-08-31 is inside the year: raw highs would put it 75 % below its high.
    { symbol: 'AAPL', asOf: '2021-04-21' },
    { symbol: 'AAPL', asOf: '2012-06-16' }, // a Saturday: the Friday bar is used
    { symbol: 'BRK.B', asOf: '2010-06-30' }, // its 50:1 split of 2010-01-21 is inside the year
    { symbol: 'XOM', asOf: '2008-10-15' },
    { symbol: 'GOOGL', asOf: '2005-03-01' }, // 134 bars since the listing: no 1-year factors yet
  ])('$symbol on $asOf matches the longhand formulas', ({ symbol, asOf }) => {
    const result = screenStocks(universe, { asOf, ...everyFactor });
    const series = universe.series.find((s) => s.symbol === symbol) as PriceSeries;
    const t = barOnOrBefore(series, asOf);
    const expected = textbook(series, t);
    const row = rowOf(result.rows, symbol);
    expect(row.date).toBe(series.dates[t]);
    expect(row.price).toBe(expected.price);
    expect(row.dollarVolume).toBeCloseTo(expected.dollarVolume, 6);
    expect(Object.keys(row.factors).sort()).toEqual(Object.keys(expected.factors).sort());
    for (const [name, value] of Object.entries(expected.factors)) {
      // RSI is Wilder-smoothed over the last 265 closes only; the seed's weight there is < 1e-8.
      const digits = name === 'rsi' ? 6 : 10;
      expect(row.factors[name as FactorName], name).toBeCloseTo(value, digits);
    }
    const missing = FACTOR_NAMES.filter(
      (name) => name !== 'model_score' && !(name in expected.factors),
    );
    expect(row.missing).toEqual(missing);
  });

  it('GOOGL in its first year lacks the one-year factors', () => {
    const row = rowOf(screenStocks(universe, { asOf: '2005-03-01', top: 500 }).rows, 'GOOGL');
    expect(row.missing).toEqual(['momentum_12_1', 'distance_52w_high', 'drawdown']);
    expect(row.contributions.momentum_12_1).toBe(0);
    expect(row.contributions.distance_52w_high).toBe(0);
    expect(row.zScores.momentum_12_1).toBeUndefined();
  });
});

describe('the score', () => {
  it('is the sum of the contributions, each weight × z, with z taken over the ranked symbols', () => {
    const result = screenStocks(universe, { asOf: '2016-03-15', top: 500 });
    expect(result.universe).toBe(44);
    expect(result.passed).toBe(44);
    expect(result.rows).toHaveLength(44);
    for (const row of result.rows) {
      const sum = Object.values(row.contributions).reduce((a, b) => a + b, 0);
      expect(row.score).toBe(sum);
      for (const [name, part] of Object.entries(row.contributions)) {
        const factor = name as FactorName;
        expect(part).toBeCloseTo(result.weights[factor] * (row.zScores[factor] ?? 0), 14);
      }
    }
    // Population z-scores over the 44: mean 0, variance 1 (no value reaches the ±3 clip here).
    const z = result.rows.map((row) => row.zScores.momentum_12_1 as number);
    expect(Math.max(...z.map(Math.abs))).toBeLessThan(3);
    const mean = z.reduce((a, b) => a + b, 0) / z.length;
    expect(mean).toBeCloseTo(0, 12);
    expect(z.reduce((a, b) => a + (b - mean) ** 2, 0) / z.length).toBeCloseTo(1, 12);
    // Low volatility ranks high: the calmest symbol has the highest volatility z-score.
    const calmest = [...result.rows].sort(
      (a, b) => (a.factors.volatility as number) - (b.factors.volatility as number),
    )[0] as ScreenRow;
    const bestZ = Math.max(...result.rows.map((row) => row.zScores.volatility as number));
    expect(calmest.zScores.volatility).toBe(bestZ);
  });

  it('orders rows by score descending and ranks them 1, 2, 3, …', () => {
    const { rows } = screenStocks(universe, { asOf: '2019-12-31' });
    expect(rows).toHaveLength(20);
    rows.forEach((row, i) => {
      expect(row.rank).toBe(i + 1);
      if (i > 0) expect(row.score).toBeLessThanOrEqual((rows[i - 1] as ScreenRow).score);
    });
  });

  it('does not depend on the order of the series', () => {
    const request = { asOf: '2011-08-08', top: 500 };
    const reversed = { ...universe, series: [...universe.series].reverse() };
    expect(screenStocks(reversed, request)).toEqual(screenStocks(universe, request));
  });
});

describe('no look-ahead', () => {
  it.each(['2008-09-12', '2020-03-20', '2013-07-04'])('bars after %s change nothing', (asOf) => {
    const request = { asOf, top: 500, filters: { aboveSma200: false } };
    const before = screenStocks(universe, request);
    // Scramble every bar dated after asOf (prices and volumes), or cut them off.
    const scrambled = universe.series.map((s): PriceSeries => {
      const t = barOnOrBefore(s, asOf);
      const copy = (a: Float64Array, f: number) =>
        a.map((v, k) => (k > t ? v * (f + ((k * 7919) % 13) / 10) : v));
      return {
        ...s,
        open: copy(s.open, 0.5),
        high: copy(s.high, 3),
        low: copy(s.low, 0.1),
        close: copy(s.close, 0.2),
        adjClose: copy(s.adjClose, 2),
        volume: copy(s.volume, 9),
      };
    });
    expect(screenStocks({ ...universe, series: scrambled }, request)).toEqual(before);
    // Cut off instead. (Cut at a holiday, 2013-07-04, the request is refused: asOf after the
    // last bar of every series is an error by design, see screen.test.ts.)
    const cutAt = asOf === '2013-07-04' ? '2013-07-05' : asOf;
    const cut = universe.series.map((s) => sliceSeries(s, undefined, cutAt));
    const request2 = { ...request, asOf: cutAt };
    const full = screenStocks(universe, request2);
    expect(screenStocks({ ...universe, series: cut }, request2)).toEqual(full);
  });
});
