/** The screening factors: each one's raw value for one symbol at one bar, read from a bounded window. */
import { rollingVolatility } from '../indicators/rolling-volatility.js';
import { rsi } from '../indicators/rsi.js';
import type { PriceSeries } from '../series/price-series.js';

/**
 * Every factor a screen can weight, in the order scores are summed and reported. `model_score` is
 * the slot for a learned model's per-symbol score: it is present only when the request carries
 * `modelScores`; the others are computed from prices.
 */
export const FACTOR_NAMES = [
  'momentum_12_1',
  'reversal_1m',
  'volatility',
  'rsi',
  'distance_52w_high',
  'drawdown',
  'trend_strength',
  'model_score',
] as const;

/** The name of one screening factor. */
export type FactorName = (typeof FACTOR_NAMES)[number];

/** The factors computed from a symbol's own prices (all but model_score). */
export type PriceFactorName = Exclude<FactorName, 'model_score'>;

/** FACTOR_NAMES without model_score, in the same order. */
export const PRICE_FACTOR_NAMES: readonly PriceFactorName[] = FACTOR_NAMES.filter(
  (name): name is PriceFactorName => name !== 'model_score',
);

/**
 * +1 when a higher raw value is better, −1 when a lower one is. A factor's z-score is multiplied by
 * its orientation, so that for every factor a higher z-score (and a positive weight) favours the
 * symbol: volatility and rsi are the two whose z-scores are sign-flipped.
 */
export const FACTOR_ORIENTATION: Readonly<Record<FactorName, 1 | -1>> = {
  momentum_12_1: 1,
  reversal_1m: 1,
  volatility: -1,
  rsi: -1,
  distance_52w_high: 1,
  drawdown: 1,
  trend_strength: 1,
  model_score: 1,
};

/** Trading days in a year: the 12-month and 52-week windows, and the volatility annualisation. */
export const BARS_PER_YEAR = 252;
/** Trading days in a month: the skip of 12-1 momentum and the 1-month reversal window. */
export const BARS_PER_MONTH = 21;
/** Daily returns in the volatility window (three months). */
export const VOLATILITY_RETURNS = 63;
/** Wilder RSI period. */
export const RSI_PERIOD = 14;
/**
 * Changes of Wilder smoothing run after the RSI seed. The seed's weight decays as (13/14)^k, which
 * is below 1e-8 after 250 changes, so the value matches an RSI seeded at the start of the whole
 * history to about 1e-6 RSI points while reading only 265 closes.
 */
export const RSI_WARMUP = 250;
/** Bars in the trend_strength regression (six months). */
export const TREND_BARS = 126;

/**
 * The bars of history (the as-of bar included) each price factor needs; with fewer, the factor is
 * missing for that symbol.
 */
export const FACTOR_MIN_BARS: Readonly<Record<PriceFactorName, number>> = {
  momentum_12_1: BARS_PER_YEAR + 1,
  reversal_1m: BARS_PER_MONTH + 1,
  volatility: VOLATILITY_RETURNS + 1,
  rsi: RSI_PERIOD + 1,
  distance_52w_high: BARS_PER_YEAR,
  drawdown: BARS_PER_YEAR,
  trend_strength: TREND_BARS,
};

/** NaN for anything not finite, so that a zero or missing price makes a factor missing, not ±Infinity. */
function finite(x: number): number {
  return Number.isFinite(x) ? x : Number.NaN;
}

/**
 * 12-1 month momentum: P[t−21] / P[t−252] − 1, with P the adjusted close and t the as-of bar — the
 * return over the year up to a month ago, skipping the latest month (whose returns tend to reverse).
 * Higher is better. Needs 253 bars.
 */
export function momentum12x1(adjClose: Float64Array, t: number): number {
  if (t < BARS_PER_YEAR) return Number.NaN;
  const past = adjClose[t - BARS_PER_YEAR] as number;
  return finite((adjClose[t - BARS_PER_MONTH] as number) / past - 1);
}

/**
 * Short-term reversal: −(P[t] / P[t−21] − 1), minus the adjusted 21-bar return, so last month's
 * losers get the high values. Higher is better. Needs 22 bars.
 */
export function reversal1m(adjClose: Float64Array, t: number): number {
  if (t < BARS_PER_MONTH) return Number.NaN;
  const past = adjClose[t - BARS_PER_MONTH] as number;
  return finite((past - (adjClose[t] as number)) / past);
}

/**
 * Annualised volatility: √252 × the sample standard deviation (divide by 62) of the 63 daily simple
 * returns r_k = P[k] / P[k−1] − 1, k = t−62 … t, on adjusted closes (core/indicators
 * rollingVolatility on those 64 closes). 0.25 means 25 % a year. Lower is better: its z-score is
 * sign-flipped. Needs 64 bars.
 */
export function volatility(adjClose: Float64Array, t: number): number {
  if (t < VOLATILITY_RETURNS) return Number.NaN;
  const window = adjClose.subarray(t - VOLATILITY_RETURNS, t + 1);
  return finite(
    rollingVolatility(window, VOLATILITY_RETURNS, BARS_PER_YEAR)[VOLATILITY_RETURNS] as number,
  );
}

/**
 * Wilder RSI(14) of the adjusted close at t, 0–100 (core/indicators rsi): the average gain and loss
 * are seeded with the simple mean of the 14 changes that start the window, then smoothed with
 * alpha = 1/14 through bar t. The window is the last 265 closes (P[t−264] … P[t], or from the first
 * bar when the history is shorter), see RSI_WARMUP. Lower is better — short-term mean reversion,
 * buying the oversold: its z-score is sign-flipped. Needs 15 bars.
 */
export function rsiAt(adjClose: Float64Array, t: number): number {
  if (t < RSI_PERIOD) return Number.NaN;
  const start = Math.max(0, t - RSI_PERIOD - RSI_WARMUP);
  const values = rsi(adjClose.subarray(start, t + 1), RSI_PERIOD);
  return finite(values[t - start] as number);
}

/**
 * Distance from the 52-week high: P[t] / max(H[t−251] … H[t]) − 1, where H is the high adjusted as
 * the close is (high × adjClose / close), so a split inside the year does not move it. At most 0
 * (0 at a new high); higher — closer to the high — is better, as in George & Hwang (2004). Needs
 * 252 bars.
 */
export function distance52wHigh(series: PriceSeries, t: number): number {
  if (t < BARS_PER_YEAR - 1) return Number.NaN;
  const { adjClose, close, high } = series;
  let peak = Number.NEGATIVE_INFINITY;
  for (let k = t - BARS_PER_YEAR + 1; k <= t; k++) {
    const adjustedHigh = ((high[k] as number) * (adjClose[k] as number)) / (close[k] as number);
    // Written so that a NaN high poisons the peak rather than being skipped by the comparison.
    if (!(adjustedHigh <= peak)) peak = adjustedHigh;
  }
  return finite((adjClose[t] as number) / peak - 1);
}

/**
 * Drawdown from the one-year peak close: P[t] / max(P[t−251] … P[t]) − 1 on adjusted closes. At most
 * 0; higher (a shallower drawdown) is better. Needs 252 bars.
 */
export function drawdown(adjClose: Float64Array, t: number): number {
  if (t < BARS_PER_YEAR - 1) return Number.NaN;
  let peak = Number.NEGATIVE_INFINITY;
  for (let k = t - BARS_PER_YEAR + 1; k <= t; k++) {
    const p = adjClose[k] as number;
    if (!(p <= peak)) peak = p;
  }
  return finite((adjClose[t] as number) / peak - 1);
}

/**
 * Trend strength: sign(b) × R² of the least-squares line y = a + b·x through y_x = ln P[t−125+x],
 * x = 0 … 125 (the last 126 adjusted closes). R² = Sxy² / (Sxx · Syy) from centred sums, so the value
 * lies in [−1, 1]: +1 for a perfectly steady rise, −1 for a steady fall, near 0 for no trend; 0 when
 * the price did not move at all. It measures how consistent the trend is, not how steep (momentum
 * covers the size). Higher is better. Needs 126 bars.
 */
export function trendStrength(adjClose: Float64Array, t: number): number {
  if (t < TREND_BARS - 1) return Number.NaN;
  const start = t - TREND_BARS + 1;
  let meanY = 0;
  for (let k = start; k <= t; k++) meanY += Math.log(adjClose[k] as number);
  meanY /= TREND_BARS;
  const meanX = (TREND_BARS - 1) / 2;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let k = start; k <= t; k++) {
    const dx = k - start - meanX;
    const dy = Math.log(adjClose[k] as number) - meanY;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (syy === 0) return 0;
  return finite((Math.sign(sxy) * sxy * sxy) / (sxx * syy));
}

/** The raw value of every price factor for `series` at bar t, NaN where it is missing. */
export function priceFactors(series: PriceSeries, t: number): Record<PriceFactorName, number> {
  const { adjClose } = series;
  return {
    momentum_12_1: momentum12x1(adjClose, t),
    reversal_1m: reversal1m(adjClose, t),
    volatility: volatility(adjClose, t),
    rsi: rsiAt(adjClose, t),
    distance_52w_high: distance52wHigh(series, t),
    drawdown: drawdown(adjClose, t),
    trend_strength: trendStrength(adjClose, t),
  };
}
