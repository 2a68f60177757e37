/**
 * Bootstrap intervals of a fixed portfolio's figures. The weights stay as optimised; the
 * portfolio's daily returns r_p,t = Σ_i w_i r_i,t are built once (O(n·T)), then B resamples of T
 * days drawn with replacement (seeded) give B annualised means 252·mean(r_p*) and volatilities
 * √252·sd(r_p*) (sample sd, T − 1), in O(T·B). The intervals are the (1 − c)/2 and (1 + c)/2
 * percentiles with linear interpolation between order statistics (NumPy's default, "type 7").
 */
import { createRandom } from '../../random.js';
import { type ReturnsMatrix, TRADING_DAYS } from '../types.js';
import { PortfolioInputError } from './errors.js';
import type { Interval, PortfolioBootstrap } from './types.js';

/** The q-quantile of sorted values, linear interpolation between order statistics. */
export function quantileSorted(sorted: Float64Array, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  const frac = pos - lo;
  return (sorted[lo] as number) + frac * ((sorted[hi] as number) - (sorted[lo] as number));
}

/** The portfolio's daily return series Σ_i w_i r_i,t, matching `symbols` to the matrix by name. */
export function portfolioReturns(
  returns: ReturnsMatrix,
  symbols: readonly string[],
  weights: Float64Array,
): Float64Array {
  const { T, values } = returns;
  const row = new Map(returns.symbols.map((s, i) => [s, i]));
  const out = new Float64Array(T);
  symbols.forEach((symbol, k) => {
    const i = row.get(symbol);
    if (i === undefined) {
      throw new PortfolioInputError(
        `bootstrap returns have no series for ${symbol}; pass the returns the estimate was built from`,
      );
    }
    const w = weights[k] as number;
    if (w === 0) return;
    const base = i * T;
    for (let t = 0; t < T; t++) out[t] = (out[t] as number) + w * (values[base + t] as number);
  });
  return out;
}

/** Resamples `daily` (a portfolio's returns) `samples` times; see the file's doc comment. */
export function bootstrapIntervals(
  daily: Float64Array,
  samples: number,
  seed: number,
  confidence: number,
): PortfolioBootstrap {
  const T = daily.length;
  if (T < 2) {
    throw new PortfolioInputError(`bootstrap needs at least 2 days of returns, got ${T}`);
  }
  const random = createRandom(seed);
  const means = new Float64Array(samples);
  const vols = new Float64Array(samples);
  const draw = new Float64Array(T);
  for (let b = 0; b < samples; b++) {
    let sum = 0;
    for (let t = 0; t < T; t++) {
      // Same draw as random.int(0, T − 1), without its per-call argument checks.
      const v = daily[Math.floor(random.next() * T)] as number;
      draw[t] = v;
      sum += v;
    }
    const mean = sum / T;
    let ss = 0;
    for (let t = 0; t < T; t++) {
      const d = (draw[t] as number) - mean;
      ss += d * d;
    }
    means[b] = mean * TRADING_DAYS;
    vols[b] = Math.sqrt((ss / (T - 1)) * TRADING_DAYS);
  }
  means.sort();
  vols.sort();
  const lo = (1 - confidence) / 2;
  const hi = (1 + confidence) / 2;
  const interval = (sorted: Float64Array): Interval => ({
    low: quantileSorted(sorted, lo),
    high: quantileSorted(sorted, hi),
  });
  return { samples, confidence, expectedReturn: interval(means), volatility: interval(vols) };
}
