/**
 * Every indicator against an independent, maintained library on real adjusted prices. Where the two
 * libraries differ in convention, the one this folder follows is the reference (see each kernel's
 * doc comment); neither library rounds by default, so agreement is to floating-point noise.
 */
import {
  ATR as TiAtr,
  EMA as TiEma,
  MACD as TiMacd,
  OBV as TiObv,
  Stochastic as TiStochastic,
} from 'technicalindicators';
import {
  getStandardDeviation,
  BollingerBands as TsBollinger,
  DonchianChannels as TsDonchian,
  MOM as TsMom,
  ROC as TsRoc,
  RSI as TsRsi,
  SMA as TsSma,
  WMA as TsWma,
} from 'trading-signals';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSamplePrices, type SamplePrices } from '../../test/helpers/sample-prices.js';
import {
  atr,
  bollinger,
  donchian,
  ema,
  macd,
  momentum,
  obv,
  roc,
  rollingVolatility,
  rsi,
  sma,
  stochastic,
  wma,
  zscore,
} from './index.js';

/**
 * Our rolling updates and the libraries' full recomputations round differently, so they agree to
 * about 1e-13 relative; 1e-9 leaves room without hiding a real error, which shows up at 1e-3 or worse.
 */
const REL = 1e-9;

/** Library output with its warm-up left out, padded back to full length with NaN in front. */
function padFront(values: readonly (number | undefined)[], length: number): Float64Array {
  const out = new Float64Array(length).fill(Number.NaN);
  out.set(
    values.map((v) => v ?? Number.NaN),
    length - values.length,
  );
  return out;
}

/** trading-signals `updates()` output, one entry per input with null during warm-up. */
function fromUpdates(values: readonly (number | null)[]): Float64Array {
  return Float64Array.from(values, (v) => v ?? Number.NaN);
}

/**
 * Asserts NaN exactly where `expected` has NaN, and |actual − expected| ≤ abs + rel·|expected|
 * elsewhere, over at least 3,000 compared bars.
 */
function expectSeriesClose(
  actual: Float64Array,
  expected: Float64Array,
  { rel = REL, abs = 0 }: { rel?: number; abs?: number } = {},
): void {
  expect(actual.length).toBe(expected.length);
  let compared = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    if (Number.isNaN(e)) {
      if (!Number.isNaN(a)) expect.fail(`bar ${i}: expected NaN (warm-up), got ${a}`);
      continue;
    }
    if (!(Math.abs(a - e) <= abs + rel * Math.abs(e))) {
      expect.fail(`bar ${i}: expected ${e}, got ${a} (difference ${a - e})`);
    }
    compared++;
  }
  expect(compared).toBeGreaterThan(3000);
}

/** The windows of `size` values ending at each bar, for references that only exist as one-window functions. */
function windowsOf(values: Float64Array, size: number, each: (window: number[]) => number) {
  const out = new Float64Array(values.length).fill(Number.NaN);
  for (let i = size - 1; i < values.length; i++) {
    out[i] = each(Array.from(values.subarray(i - size + 1, i + 1)));
  }
  return out;
}

describe.each(['AAPL', 'JPM', 'XOM'])(
  'indicators on %s match the reference libraries',
  (symbol) => {
    let p: SamplePrices;
    let close: number[];
    beforeAll(async () => {
      p = await loadSamplePrices(symbol);
      close = Array.from(p.close);
      expect(p.close.length).toBeGreaterThan(5000);
    });

    it.each([1, 20, 200])('sma(%i) = trading-signals SMA', (period) => {
      expectSeriesClose(sma(p.close, period), fromUpdates(new TsSma(period).updates(close)));
    });

    it.each([2, 12, 26, 200])('ema(%i) = technicalindicators EMA (SMA seed)', (period) => {
      const expected = TiEma.calculate({ period, values: close });
      expectSeriesClose(ema(p.close, period), padFront(expected, close.length));
    });

    it.each([1, 10, 50])('wma(%i) = trading-signals WMA', (period) => {
      expectSeriesClose(wma(p.close, period), fromUpdates(new TsWma(period).updates(close)));
    });

    it.each([2, 14, 30])('rsi(%i) = trading-signals RSI (Wilder)', (period) => {
      // technicalindicators rounds RSI to 2 decimals, so the unrounded trading-signals is the reference.
      expectSeriesClose(rsi(p.close, period), fromUpdates(new TsRsi(period).updates(close)));
    });

    it.each([
      [12, 26, 9],
      [5, 35, 5],
    ])('macd(%i, %i, %i) = technicalindicators MACD with EMAs', (fast, slow, signal) => {
      // trading-signals' MACD seeds its EMAs with the first price, so it differs by convention.
      const expected = TiMacd.calculate({
        values: close,
        fastPeriod: fast,
        slowPeriod: slow,
        signalPeriod: signal,
        SimpleMAOscillator: false,
        SimpleMASignal: false,
      });
      const lines = macd(p.close, fast, slow, signal);
      const n = close.length;
      // The MACD line is a difference of two EMAs near the price level, so its error scales with the
      // price (about 1e-14 of it), not with the small difference; abs covers that.
      const abs = 1e-9;
      expectSeriesClose(
        lines.macd,
        padFront(
          expected.map((r) => r.MACD),
          n,
        ),
        { abs },
      );
      expectSeriesClose(
        lines.signal,
        padFront(
          expected.map((r) => r.signal),
          n,
        ),
        { abs },
      );
      expectSeriesClose(
        lines.histogram,
        padFront(
          expected.map((r) => r.histogram),
          n,
        ),
        { abs },
      );
    });

    it.each([
      [20, 2],
      [50, 2.5],
    ])('bollinger(%i, %f) = trading-signals BollingerBands (population σ)', (period, k) => {
      const expected = new TsBollinger(period, k).updates(close);
      const bands = bollinger(p.close, period, k);
      expectSeriesClose(bands.middle, fromUpdates(expected.map((r) => r?.middle ?? null)));
      expectSeriesClose(bands.upper, fromUpdates(expected.map((r) => r?.upper ?? null)));
      expectSeriesClose(bands.lower, fromUpdates(expected.map((r) => r?.lower ?? null)));
    });

    it.each([1, 14, 50])(
      'atr(%i) = technicalindicators ATR (Wilder, true range from bar 1)',
      (period) => {
        const expected = TiAtr.calculate({
          high: Array.from(p.high),
          low: Array.from(p.low),
          close,
          period,
        });
        expectSeriesClose(atr(p.high, p.low, p.close, period), padFront(expected, close.length));
      },
    );

    it.each([
      [14, 3],
      [5, 1],
      [21, 5],
    ])('stochastic(%i, %i) = technicalindicators Stochastic', (kPeriod, dPeriod) => {
      // trading-signals' StochasticOscillator is the slow stochastic; its kSlowingPeriod 1 would also
      // do, but technicalindicators is the fast one as written.
      const expected = TiStochastic.calculate({
        high: Array.from(p.high),
        low: Array.from(p.low),
        close,
        period: kPeriod,
        signalPeriod: dPeriod,
      });
      const lines = stochastic(p.high, p.low, p.close, kPeriod, dPeriod);
      const n = close.length;
      // %K is 0–100 and crosses 0, where a relative bound is meaningless: abs 1e-9 of a 100 scale.
      const abs = 1e-9;
      expectSeriesClose(
        lines.k,
        padFront(
          expected.map((r) => r.k),
          n,
        ),
        { abs },
      );
      expectSeriesClose(
        lines.d,
        padFront(
          expected.map((r) => r.d),
          n,
        ),
        { abs },
      );
    });

    it('obv = technicalindicators OBV, starting from 0', () => {
      const expected = TiObv.calculate({ close, volume: Array.from(p.volume) });
      const actual = obv(p.close, p.volume);
      expect(actual[0]).toBe(0);
      // Volumes are whole numbers and the totals stay far below 2^53, so both sums are exact.
      expectSeriesClose(actual.subarray(1), Float64Array.from(expected), { rel: 0 });
    });

    it.each([1, 10, 252])('roc(%i) = trading-signals ROC (a fraction)', (period) => {
      expectSeriesClose(roc(p.close, period), fromUpdates(new TsRoc(period).updates(close)));
    });

    it.each([1, 10, 252])('momentum(%i) = trading-signals MOM', (period) => {
      expectSeriesClose(momentum(p.close, period), fromUpdates(new TsMom(period).updates(close)), {
        rel: 0,
      });
    });

    it.each([1, 20, 55])('donchian(%i) = trading-signals DonchianChannels', (period) => {
      const candles = Array.from(p.high, (high, i) => ({ high, low: p.low[i] as number }));
      const expected = new TsDonchian(period).updates(candles);
      const channel = donchian(p.high, p.low, period);
      // Max and min pick one of the inputs, so they must be equal, not just close.
      expectSeriesClose(channel.upper, fromUpdates(expected.map((r) => r?.upper ?? null)), {
        rel: 0,
      });
      expectSeriesClose(channel.lower, fromUpdates(expected.map((r) => r?.lower ?? null)), {
        rel: 0,
      });
      expectSeriesClose(channel.middle, fromUpdates(expected.map((r) => r?.middle ?? null)));
    });

    it.each([2, 20, 63])(
      'rollingVolatility(%i) = trading-signals σ of the window returns, made sample and annualised',
      (period) => {
        // Neither library has a rolling or a sample deviation; getStandardDeviation is the population
        // one over a window, so √(n / (n − 1)) turns it into the sample one.
        const returns = new Float64Array(close.length).fill(Number.NaN);
        for (let i = 1; i < close.length; i++) {
          returns[i] = ((close[i] as number) - (close[i - 1] as number)) / (close[i - 1] as number);
        }
        const expected = windowsOf(returns, period, (window) =>
          window.some(Number.isNaN)
            ? Number.NaN
            : getStandardDeviation(window) * Math.sqrt(period / (period - 1)) * Math.sqrt(252),
        );
        expectSeriesClose(rollingVolatility(p.close, period), expected);
      },
    );

    it.each([2, 20, 100])('zscore(%i) = (x − mean) / sample σ from trading-signals', (period) => {
      const expected = windowsOf(p.close, period, (window) => {
        const mean = window.reduce((sum, x) => sum + x, 0) / period;
        const sample = getStandardDeviation(window, mean) * Math.sqrt(period / (period - 1));
        // Repeated closes make flat windows at period 2 (dozens per ticker), where zscore says 0 by
        // convention and the formula says 0 / 0.
        return sample === 0 ? 0 : ((window[period - 1] as number) - mean) / sample;
      });
      // A z-score is a small difference over a deviation; near 0 the relative bound is meaningless.
      expectSeriesClose(zscore(p.close, period), expected, { abs: 1e-9 });
    });
  },
);
