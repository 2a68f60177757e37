/** The estimators against straightforward textbook loops on real sample prices, and their refusals. */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSampleSeries } from '../../../test/helpers/sample-series.js';
import type { PriceSeries } from '../../series/price-series.js';
import type { ReturnsMatrix } from '../types.js';
import { CROSS_PRODUCTS_WASM, crossProducts, crossProductsJs } from './cross-products.js';
import { estimate } from './estimate.js';
import { buildReturns, EstimatorInputError } from './returns.js';

const SYMBOLS = ['AAPL', 'KO', 'JNJ', 'XOM', 'MSFT'];
let series: PriceSeries[];
let x: ReturnsMatrix;

beforeAll(async () => {
  series = await loadSampleSeries(SYMBOLS);
  x = buildReturns(series, { end: '2021-04-21', lookback: 250 }).returns;
});

const at = (m: ReturnsMatrix, i: number, t: number) => m.values[i * m.T + t] as number;

/** Textbook sample covariance, one pair at a time. */
function naiveCov(m: ReturnsMatrix, weights?: number[]): number[][] {
  const w = weights ?? Array.from({ length: m.T }, () => 1 / m.T);
  const mean = (i: number) => w.reduce((s, wt, t) => s + wt * at(m, i, t), 0);
  const out: number[][] = [];
  for (let i = 0; i < m.n; i++) {
    out.push([]);
    for (let j = 0; j < m.n; j++) {
      let s = 0;
      for (let t = 0; t < m.T; t++)
        s += (w[t] as number) * (at(m, i, t) - mean(i)) * (at(m, j, t) - mean(j));
      // Unbiased for the plain sample: Σ (..)/(T−1) = (T/(T−1)) Σ (1/T)(..).
      (out[i] as number[]).push(weights ? s * 252 : ((s * m.T) / (m.T - 1)) * 252);
    }
  }
  return out;
}

describe('buildReturns', () => {
  it('gives adjusted-close simple returns ending on the last trading day ≤ end', () => {
    expect(x.symbols).toEqual(SYMBOLS);
    expect(x.T).toBe(250);
    expect(x.dates[x.T - 1]).toBe('2021-04-21');
    const aapl = series[0] as PriceSeries;
    const k = aapl.dates.indexOf('2021-04-21');
    expect(at(x, 0, x.T - 1)).toBe(
      (aapl.adjClose[k] as number) / (aapl.adjClose[k - 1] as number) - 1,
    );
    // A weekend end date means the Friday before.
    const weekend = buildReturns(series, { end: '2021-04-18', lookback: 10 }).returns;
    expect(weekend.dates[9]).toBe('2021-04-16');
  });

  it('names a symbol without enough history, or leaves it out when asked', () => {
    const young: PriceSeries = { ...(series[1] as PriceSeries), symbol: 'YOUNG' };
    const cut = young.dates.indexOf('2021-01-04');
    const short: PriceSeries = {
      ...young,
      dates: young.dates.slice(cut),
      open: young.open.slice(cut),
      high: young.high.slice(cut),
      low: young.low.slice(cut),
      close: young.close.slice(cut),
      adjClose: young.adjClose.slice(cut),
      volume: young.volume.slice(cut),
    };
    const all = [...series, short];
    expect(() => buildReturns(all, { end: '2021-04-21', lookback: 250 })).toThrow(
      /not enough history: YOUNG has 75 of the 251 prices from \d{4}-\d\d-\d\d to 2021-04-21 \(its data starts 2021-01-04\)/,
    );
    const skipped = buildReturns(all, { end: '2021-04-21', lookback: 250, skipIncomplete: true });
    expect(skipped.returns.symbols).toEqual(SYMBOLS);
    expect(skipped.dropped.map((d) => d.symbol)).toEqual(['YOUNG']);
  });

  it('refuses one symbol, a lookback longer than the data, an end after the data', () => {
    expect(() => buildReturns(series.slice(0, 1), { lookback: 10 })).toThrow(
      'a portfolio needs at least two symbols, got 1 (AAPL)',
    );
    expect(() => buildReturns(series, { end: '2001-01-10', lookback: 756 })).toThrow(
      /lookback 756 is longer than the data: the symbols have \d+ returns up to 2001-01-10; use --lookback \d+ or less/,
    );
    expect(() => buildReturns(series, { end: '2030-01-01', lookback: 10 })).toThrow(
      /end 2030-01-01 is after the last price of every symbol; the latest is \d{4}-\d\d-\d\d/,
    );
    expect(() => buildReturns(series, { lookback: 1 })).toThrow(EstimatorInputError);
  });
});

describe('estimate', () => {
  it('sample covariance and historical mean match the textbook loops', () => {
    const result = estimate(x);
    const reference = naiveCov(x);
    for (let i = 0; i < x.n; i++) {
      const mean =
        (252 * Array.from({ length: x.T }, (_, t) => at(x, i, t)).reduce((a, b) => a + b)) / x.T;
      expect(result.mu[i]).toBeCloseTo(mean, 12);
      for (let j = 0; j < x.n; j++)
        expect(result.cov[i * x.n + j]).toBeCloseTo(reference[i]?.[j] as number, 12);
    }
  });

  it('EWMA mean and covariance use pandas ewm(span) weights', () => {
    const span = 60;
    const alpha = 2 / (span + 1);
    const raw = Array.from({ length: x.T }, (_, t) => (1 - alpha) ** (x.T - 1 - t));
    const total = raw.reduce((a, b) => a + b);
    const weights = raw.map((w) => w / total);
    const result = estimate(x, { mean: 'ewma', covariance: 'ewma', span });
    const reference = naiveCov(x, weights);
    for (let i = 0; i < x.n; i++) {
      const mean = 252 * weights.reduce((s, w, t) => s + w * at(x, i, t), 0);
      expect(result.mu[i]).toBeCloseTo(mean, 12);
      for (let j = 0; j < x.n; j++)
        expect(result.cov[i * x.n + j]).toBeCloseTo(reference[i]?.[j] as number, 12);
    }
  });

  it('Ledoit–Wolf follows the scikit-learn formula', () => {
    const result = estimate(x, { covariance: 'ledoit_wolf' });
    const { n, T } = x;
    // S biased, centred X; the same formula written out with plain loops.
    const c: number[][] = [];
    for (let i = 0; i < n; i++) {
      let m = 0;
      for (let t = 0; t < T; t++) m += at(x, i, t);
      m /= T;
      c.push(Array.from({ length: T }, (_, t) => at(x, i, t) - m));
    }
    const S = c.map((a) => c.map((b) => a.reduce((s, v, t) => s + v * (b[t] as number), 0) / T));
    const mu = S.reduce((s, row, i) => s + (row[i] as number), 0) / n;
    let beta = 0;
    let delta = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        const sij = S[i]?.[j] as number;
        delta += (sij - (i === j ? mu : 0)) ** 2;
        let b = 0;
        for (let t = 0; t < T; t++) b += ((c[i]?.[t] as number) * (c[j]?.[t] as number) - sij) ** 2;
        beta += b / T;
      }
    delta /= n;
    beta = Math.min(beta / (n * T), delta);
    const shrinkage = beta / delta;
    expect(result.shrinkage).toBeCloseTo(shrinkage, 10);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        const expected =
          252 * ((1 - shrinkage) * (S[i]?.[j] as number) + (i === j ? shrinkage * mu : 0));
        expect(result.cov[i * n + j]).toBeCloseTo(expected, 12);
      }
  });

  it('shrunk means move every asset towards the cross-sectional mean, keeping the mean', () => {
    const plain = estimate(x);
    const shrunk = estimate(x, { mean: 'shrunk' });
    const avg = (v: Float64Array) => v.reduce((a, b) => a + b, 0) / v.length;
    expect(avg(shrunk.mu)).toBeCloseTo(avg(plain.mu), 12);
    for (let i = 0; i < x.n; i++)
      expect(Math.abs((shrunk.mu[i] as number) - avg(plain.mu))).toBeLessThanOrEqual(
        Math.abs((plain.mu[i] as number) - avg(plain.mu)) + 1e-15,
      );
  });

  it('names unknown estimators and bad spans', () => {
    expect(() => estimate(x, { covariance: 'robust' as never })).toThrow(
      'covariance estimator "robust" is not known; use sample, ledoit_wolf, ewma',
    );
    expect(() => estimate(x, { mean: 'capm' as never })).toThrow(/use historical, ewma, shrunk/);
    expect(() => estimate(x, { span: 0 })).toThrow(
      'EWMA span 0 is not valid; use a number of days ≥ 1',
    );
  });
});

describe('crossProducts', () => {
  it('agrees with dot products for odd and even sizes', () => {
    for (const n of [1, 2, 3, 7]) {
      const T = 5;
      const values = Float64Array.from({ length: n * T }, (_, k) => Math.sin(k + 1));
      const out = crossProducts(values, n, T);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let t = 0; t < T; t++)
            s += (values[i * T + t] as number) * (values[j * T + t] as number);
          expect(out[i * n + j]).toBeCloseTo(s, 14);
        }
    }
  });
});

describe('crossProducts on WebAssembly', () => {
  it('matches the JavaScript loop for odd and even sizes, to rounding', () => {
    for (const [n, T] of [
      [2, 2],
      [3, 5],
      [17, 31],
      [40, 756],
    ] as const) {
      const values = Float64Array.from({ length: n * T }, (_, k) => Math.sin(k * 0.7 + 1) / 50);
      const fast = crossProducts(values, n, T);
      const slow = crossProductsJs(values, n, T);
      for (let k = 0; k < n * n; k++)
        expect(Math.abs((fast[k] as number) - (slow[k] as number))).toBeLessThanOrEqual(
          1e-14 * Math.max(1e-12, Math.abs(slow[k] as number)),
        );
    }
  });

  it('embeds exactly cross-products.wat compiled', async () => {
    const { default: wabtInit } = await import('wabt');
    const { readFile } = await import('node:fs/promises');
    const wabt = await wabtInit();
    const source = await readFile(new URL('./cross-products.wat', import.meta.url), 'utf8');
    const bytes = wabt.parseWat('cross-products.wat', source, { simd: true }).toBinary({}).buffer;
    expect(Buffer.from(bytes).toString('base64')).toBe(CROSS_PRODUCTS_WASM);
  });
});
