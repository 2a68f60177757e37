/** The shapes shared by the portfolio estimators, optimizers and analytics. */

/**
 * Daily simple returns of n assets over T days, asset-major: the return of asset i on day t is
 * `values[i * T + t]` (each asset's series is contiguous, which is what covariance kernels read).
 */
export interface ReturnsMatrix {
  symbols: string[];
  /** The date each return ends on (T entries, ascending). */
  dates: string[];
  n: number;
  T: number;
  values: Float64Array;
}

/** Annualised expected returns and covariance of the same assets, in the same order. */
export interface Estimate {
  symbols: string[];
  /** Expected annual return per asset (a fraction: 0.12 is 12 %). */
  mu: Float64Array;
  /** Annualised covariance, n×n row-major, symmetric positive (semi-)definite. */
  cov: Float64Array;
}

/** Trading days per year: the annualisation factor of every estimator and figure. */
export const TRADING_DAYS = 252;
