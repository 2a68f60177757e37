/** The request and result shapes of `optimizePortfolio`: flat and JSON-friendly. */
import type { Estimate, ReturnsMatrix } from '../types.js';

/**
 * What the optimizer maximises or minimises (w are the weights, μ the expected returns, Σ the
 * covariance, r_f the risk-free rate; every objective keeps Σ w = 1 and the constraints):
 * - `min_variance`: minimise w'Σw.
 * - `max_sharpe`: maximise (μ'w − r_f) / √(w'Σw).
 * - `mean_variance`: minimise λ/2 · w'Σw − μ'w (λ = `riskAversion`).
 * - `target_return`: minimise w'Σw subject to μ'w = `targetReturn`.
 * - `target_volatility`: maximise μ'w subject to √(w'Σw) ≤ `targetVolatility`.
 * - `risk_parity`: equal risk contributions w_i (Σw)_i / w'Σw = 1/n.
 * - `hrp`: hierarchical risk parity (López de Prado 2016).
 * - `inverse_volatility`: w_i ∝ 1/σ_i.
 * - `equal_weight`: w_i = 1/n.
 */
export type PortfolioObjective =
  | 'min_variance'
  | 'max_sharpe'
  | 'mean_variance'
  | 'target_return'
  | 'target_volatility'
  | 'risk_parity'
  | 'hrp'
  | 'inverse_volatility'
  | 'equal_weight';

/** Every objective, in the order a help text lists them. */
export const PORTFOLIO_OBJECTIVES: readonly PortfolioObjective[] = [
  'min_variance',
  'max_sharpe',
  'mean_variance',
  'target_return',
  'target_volatility',
  'risk_parity',
  'hrp',
  'inverse_volatility',
  'equal_weight',
];

/** Limits on the weights. Records are keyed by symbol; a symbol they leave out gets the default. */
export interface PortfolioConstraints {
  /** Least weight per asset: default 0 (long-only); a negative number allows that much short. */
  minWeight?: number | Record<string, number>;
  /** Most weight per asset: default 1. */
  maxWeight?: number | Record<string, number>;
  /**
   * Symbol → sector. Symbols of the estimate it leaves out belong to no sector (no cap); symbols
   * it names that are not in the estimate are ignored (a universe's whole map may be passed).
   */
  sectors?: Record<string, string>;
  /** Most total weight per sector: one number for every sector, or a record by sector name. */
  sectorCaps?: number | Record<string, number>;
  /** At most this many non-zero weights (a heuristic: see `notes` in the result). */
  maxHoldings?: number;
  /** The portfolio held now, by symbol (missing = 0); the reference of `maxTurnover`. */
  currentWeights?: Record<string, number>;
  /** Most one-way-plus-other-way turnover Σ |w_i − current_i| (1 = sell half, buy half). */
  maxTurnover?: number;
}

/** Resampling of the optimal portfolio's daily returns, for confidence intervals of its figures. */
export interface PortfolioBootstrapRequest {
  /** Daily simple returns of (at least) the estimate's symbols; matched by symbol. */
  returns: ReturnsMatrix;
  /** Resamples; default 1000. */
  samples?: number;
  /** Seed of the day draws; default 1. */
  seed?: number;
  /** Central probability of the intervals; default 0.95. */
  confidence?: number;
}

/** Everything `optimizePortfolio` needs. */
export interface PortfolioRequest {
  estimate: Estimate;
  objective: PortfolioObjective;
  /** Annual risk-free rate r_f of the Sharpe ratio; default 0. */
  riskFreeRate?: number;
  /** λ of `mean_variance` (minimise λ/2 · w'Σw − μ'w); default 1; must be > 0. */
  riskAversion?: number;
  /** Annual expected return of `target_return`. */
  targetReturn?: number;
  /** Annual volatility of `target_volatility`. */
  targetVolatility?: number;
  constraints?: PortfolioConstraints;
  /** Points of the efficient frontier to report (same constraints); 0 or undefined for none. */
  frontierPoints?: number;
  bootstrap?: PortfolioBootstrapRequest;
}

/** A point of the efficient frontier. */
export interface FrontierPoint {
  expectedReturn: number;
  volatility: number;
  /** (expectedReturn − r_f) / volatility; null when the volatility is 0. */
  sharpe: number | null;
}

/** A percentile interval [low, high]. */
export interface Interval {
  low: number;
  high: number;
}

/** Bootstrap intervals of the optimal portfolio's annualised mean return and volatility. */
export interface PortfolioBootstrap {
  samples: number;
  confidence: number;
  expectedReturn: Interval;
  volatility: Interval;
}

/** What `optimizePortfolio` found. */
export interface PortfolioResult {
  objective: PortfolioObjective;
  /** Weight per symbol, in the estimate's order; they sum to 1. */
  weights: Record<string, number>;
  /** μ'w, annual. */
  expectedReturn: number;
  /** √(w'Σw), annual. */
  volatility: number;
  /** (μ'w − r_f) / √(w'Σw); null when the volatility is 0. */
  sharpe: number | null;
  /** Share of the variance per asset, w_i (Σw)_i / w'Σw; they sum to 1. */
  riskContributions: Record<string, number>;
  /** `frontierPoints` points of the efficient frontier, lowest return first; [] when not asked. */
  frontier: FrontierPoint[];
  /** Null when no bootstrap was asked for. */
  bootstrap: PortfolioBootstrap | null;
  /** How the weights were found and how many iterations it took. */
  solver: { method: string; iterations: number };
  /** What the caller should know: heuristics used, constraints that bound, projections applied. */
  notes: string[];
}
