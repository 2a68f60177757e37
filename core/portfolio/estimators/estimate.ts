/**
 * Expected returns and covariance from daily returns, annualised with 252 trading days. The
 * defaults are the ones a quant expects: historical mean and sample covariance.
 *
 * Expected returns (`mean`):
 * - `historical` (default): μ_i = 252 · (1/T) Σ_t r_it — the arithmetic mean, not the geometric.
 * - `ewma`: μ_i = 252 · Σ_t w_t r_it / Σ_t w_t with w_t = (1 − α)^(T−1−t), α = 2 / (span + 1)
 *   (pandas' `ewm(span)` weights; span 180 by default, PyPortfolioOpt's).
 * - `shrunk`: James–Stein towards the cross-sectional mean μ̄: μ_i' = μ̄ + (1 − δ)(μ_i − μ̄) with
 *   δ = min(1, (n − 3) · (σ̄² / T) / Σ_i (μ_i − μ̄)²) on daily figures, σ̄² the mean daily variance
 *   (Jorion 1986's idea with a diagonal covariance, so no n×n inverse is needed).
 *
 * Covariance (`covariance`):
 * - `sample` (default): Σ = 252 · X'X / (T − 1) on demeaned returns.
 * - `ledoit_wolf`: Ledoit & Wolf (2004), "A well-conditioned estimator for large-dimensional
 *   covariance matrices": shrinkage of the (biased, 1/T) sample covariance S towards m·I, m =
 *   tr(S)/n, with the optimal intensity β/δ computed exactly as scikit-learn's `ledoit_wolf`
 *   (and so PyPortfolioOpt's `CovarianceShrinkage.ledoit_wolf`), then × 252.
 * - `ewma`: Σ = 252 · Σ_t w_t (r_t − μ_w)(r_t − μ_w)' / Σ_t w_t with the `ewma` weights above.
 */

import { type Estimate, type ReturnsMatrix, TRADING_DAYS } from '../types.js';
import { crossProducts } from './cross-products.js';
import { EstimatorInputError } from './returns.js';

export type MeanEstimator = 'historical' | 'ewma' | 'shrunk';
export type CovarianceEstimator = 'sample' | 'ledoit_wolf' | 'ewma';
export const MEAN_ESTIMATORS: readonly MeanEstimator[] = ['historical', 'ewma', 'shrunk'];
export const COVARIANCE_ESTIMATORS: readonly CovarianceEstimator[] = [
  'sample',
  'ledoit_wolf',
  'ewma',
];

export interface EstimateOptions {
  mean?: MeanEstimator;
  covariance?: CovarianceEstimator;
  /** EWMA span in days (α = 2 / (span + 1)); default 180. */
  span?: number;
}

/** What was estimated, with the settings used and the Ledoit–Wolf intensity when it applies. */
export interface EstimateResult extends Estimate {
  mean: MeanEstimator;
  covariance: CovarianceEstimator;
  span: number;
  shrinkage: number | null;
}

/** EWMA weights w_t = (1 − α)^(T−1−t), oldest first, normalised to sum to 1. */
function ewmaWeights(T: number, span: number): Float64Array {
  const alpha = 2 / (span + 1);
  const weights = new Float64Array(T);
  let w = 1;
  let total = 0;
  for (let t = T - 1; t >= 0; t--) {
    weights[t] = w;
    total += w;
    w *= 1 - alpha;
  }
  for (let t = 0; t < T; t++) weights[t] = (weights[t] as number) / total;
  return weights;
}

/** Per-asset means of the rows, plain or weighted. */
function rowMeans(x: ReturnsMatrix, weights?: Float64Array): Float64Array {
  const { n, T, values } = x;
  const means = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    const o = i * T;
    if (weights)
      for (let t = 0; t < T; t++) sum += (values[o + t] as number) * (weights[t] as number);
    else {
      for (let t = 0; t < T; t++) sum += values[o + t] as number;
      sum /= T;
    }
    means[i] = sum;
  }
  return means;
}

/** The returns minus each row's mean, optionally each column scaled by √w_t. */
function centred(x: ReturnsMatrix, means: Float64Array, weights?: Float64Array): Float64Array {
  const { n, T, values } = x;
  const out = new Float64Array(n * T);
  for (let i = 0; i < n; i++) {
    const o = i * T;
    const m = means[i] as number;
    if (weights) {
      for (let t = 0; t < T; t++)
        out[o + t] = ((values[o + t] as number) - m) * Math.sqrt(weights[t] as number);
    } else for (let t = 0; t < T; t++) out[o + t] = (values[o + t] as number) - m;
  }
  return out;
}

/** Checks that every return is a finite number, naming the first that is not. */
function checkFinite(x: ReturnsMatrix): void {
  const { n, T, values } = x;
  for (let k = 0; k < n * T; k++) {
    if (!Number.isFinite(values[k] as number)) {
      const i = Math.floor(k / T);
      throw new EstimatorInputError(
        `the return of ${x.symbols[i]} on ${x.dates[k % T]} is ${values[k]}; prices must be positive and finite`,
      );
    }
  }
}

/** Estimates annualised μ and Σ from daily returns. */
export function estimate(x: ReturnsMatrix, options: EstimateOptions = {}): EstimateResult {
  const mean = options.mean ?? 'historical';
  const covariance = options.covariance ?? 'sample';
  const span = options.span ?? 180;
  if (!MEAN_ESTIMATORS.includes(mean))
    throw new EstimatorInputError(
      `expected-return estimator "${mean}" is not known; use ${MEAN_ESTIMATORS.join(', ')}`,
    );
  if (!COVARIANCE_ESTIMATORS.includes(covariance))
    throw new EstimatorInputError(
      `covariance estimator "${covariance}" is not known; use ${COVARIANCE_ESTIMATORS.join(', ')}`,
    );
  if (!(Number.isFinite(span) && span >= 1))
    throw new EstimatorInputError(`EWMA span ${span} is not valid; use a number of days ≥ 1`);
  const { n, T } = x;
  if (T < 2) throw new EstimatorInputError(`${T} returns cannot give a covariance; use at least 2`);
  checkFinite(x);
  const weights = mean === 'ewma' || covariance === 'ewma' ? ewmaWeights(T, span) : undefined;
  const plainMeans = rowMeans(x);

  // Expected returns.
  let daily: Float64Array;
  if (mean === 'ewma') daily = rowMeans(x, weights);
  else daily = plainMeans;

  // Covariance.
  let cov: Float64Array;
  let shrinkage: number | null = null;
  if (covariance === 'ewma') {
    const weightedMeans = rowMeans(x, weights);
    cov = crossProducts(centred(x, weightedMeans, weights), n, T);
    for (let k = 0; k < n * n; k++) cov[k] = (cov[k] as number) * TRADING_DAYS;
  } else {
    const xc = centred(x, plainMeans);
    const products = crossProducts(xc, n, T);
    if (covariance === 'sample') {
      cov = products;
      const scale = TRADING_DAYS / (T - 1);
      for (let k = 0; k < n * n; k++) cov[k] = (cov[k] as number) * scale;
    } else {
      const result = ledoitWolf(xc, products, n, T);
      cov = result.cov;
      shrinkage = result.shrinkage;
    }
  }

  const mu = new Float64Array(n);
  if (mean === 'shrunk') {
    let grand = 0;
    for (let i = 0; i < n; i++) grand += daily[i] as number;
    grand /= n;
    let spread = 0;
    let variance = 0;
    for (let i = 0; i < n; i++) {
      spread += ((daily[i] as number) - grand) ** 2;
      variance += (cov[i * n + i] as number) / TRADING_DAYS;
    }
    variance /= n;
    const delta = spread > 0 ? Math.min(1, Math.max(0, ((n - 3) * variance) / T / spread)) : 1;
    for (let i = 0; i < n; i++)
      mu[i] = TRADING_DAYS * (grand + (1 - delta) * ((daily[i] as number) - grand));
  } else for (let i = 0; i < n; i++) mu[i] = TRADING_DAYS * (daily[i] as number);

  return { symbols: x.symbols, mu, cov, mean, covariance, span, shrinkage };
}

/**
 * Ledoit–Wolf shrinkage towards a scaled identity, following scikit-learn's `ledoit_wolf_shrinkage`
 * on centred returns X (n×T): S = X'X/T, m = tr(S)/n, δ = ‖S − mI‖²_F / n,
 * β = min(δ, (Σ_ij (X²'X²)_ij / T − ‖S‖²_F) / (n·T)); shrunk = (1 − β/δ)·S + (β/δ)·m·I.
 */
function ledoitWolf(
  xc: Float64Array,
  products: Float64Array,
  n: number,
  T: number,
): { cov: Float64Array; shrinkage: number } {
  const S = products;
  for (let k = 0; k < n * n; k++) S[k] = (S[k] as number) / T;
  let trace = 0;
  for (let i = 0; i < n; i++) trace += S[i * n + i] as number;
  const m = trace / n;
  let frobenius = 0;
  for (let k = 0; k < n * n; k++) frobenius += (S[k] as number) ** 2;
  // Σ_ij Σ_t x_it² x_jt²  =  Σ_t (Σ_i x_it²)²: one pass instead of an n×n product of squares.
  let fourth = 0;
  const columnSquares = new Float64Array(T);
  for (let i = 0; i < n; i++) {
    const o = i * T;
    for (let t = 0; t < T; t++)
      columnSquares[t] = (columnSquares[t] as number) + (xc[o + t] as number) ** 2;
  }
  for (let t = 0; t < T; t++) fourth += (columnSquares[t] as number) ** 2;
  const delta = (frobenius - 2 * m * trace + n * m * m) / n;
  const beta = Math.min(delta, (fourth / T - frobenius) / (n * T));
  const shrinkage = delta === 0 ? 0 : Math.max(0, beta / delta);
  const cov = S;
  for (let k = 0; k < n * n; k++) cov[k] = (1 - shrinkage) * (cov[k] as number);
  for (let i = 0; i < n; i++) cov[i * n + i] = (cov[i * n + i] as number) + shrinkage * m;
  for (let k = 0; k < n * n; k++) cov[k] = (cov[k] as number) * TRADING_DAYS;
  return { cov, shrinkage };
}
