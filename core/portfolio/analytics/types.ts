/** The shapes of `portfolioAnalytics`: the numbers behind `get_portfolio`. */
import type { PriceSeries } from '../../series/price-series.js';

/** One holding as the book records it. */
export interface PositionInput {
  symbol: string;
  /** Shares (finite; negative = short). */
  quantity: number;
  /** Average cost per share in currency (finite, ≥ 0). For a short, the average price sold at. */
  averageCost: number;
  /** P&L already realised on this symbol, in currency (default 0). */
  realizedPnl?: number;
}

/** A named historical window to replay the current weights through (ISO dates, inclusive). */
export interface StressWindow {
  name: string;
  from: string;
  to: string;
}

/** The default stress windows: the 2008 financial crisis and the 2020 COVID crash. */
export const STRESS_WINDOWS: readonly StressWindow[] = [
  { name: '2008 financial crisis', from: '2008-09-01', to: '2009-03-31' },
  { name: '2020 COVID crash', from: '2020-02-01', to: '2020-03-31' },
];

/** How to measure; every field optional. */
export interface AnalyticsOptions {
  /**
   * Daily returns used for beta, volatility, VaR and CVaR (default 500 ≈ two years of trading
   * days): the last `lookback` returns on or before asOf of the calendar shared by every held
   * symbol and the benchmark. An integer ≥ 20.
   */
  lookback?: number;
  /** VaR/CVaR confidence, in (0, 1) (default 0.95). */
  confidence?: number;
  /** Windows to replay (default STRESS_WINDOWS). */
  stressWindows?: readonly StressWindow[];
}

/** The defaults of every option. */
export const ANALYTICS_DEFAULTS = {
  lookback: 500,
  confidence: 0.95,
  stressWindows: STRESS_WINDOWS,
} as const;

/** Fewer daily returns than this and the risk figures are not computed (`risk` is null, `riskNote` says why). */
export const MIN_RISK_OBSERVATIONS = 20;

/** What `portfolioAnalytics` takes. */
export interface PortfolioAnalyticsInput {
  positions: PositionInput[];
  /** Cash in currency (finite; negative = a margin debit, allowed). */
  cash: number;
  /**
   * Daily history of (at least) every symbol held with quantity ≠ 0; series of other symbols are
   * ignored. Adjusted closes make the returns; the last close on or before asOf is the price.
   */
  history: PriceSeries[];
  /** The series to measure beta against and to compare stress windows with (the caller's choice). */
  benchmark: PriceSeries;
  /** ISO date, YYYY-MM-DD: only bars dated on or before it are used. */
  asOf: string;
  /** Current prices overriding the last close (finite, > 0); symbols not held are ignored. */
  prices?: Record<string, number>;
  options?: AnalyticsOptions;
}

/** One holding, valued. Money in currency, computed exactly in decimals (unrounded). */
export interface PositionFigures {
  symbol: string;
  quantity: number;
  averageCost: number;
  /** The price used; null for a zero quantity with neither history nor a given price. */
  price: number | null;
  /** 'given' (from `prices`) or 'history' (the last close on or before asOf); null with no price. */
  priceSource: 'given' | 'history' | null;
  /** Date of the bar the price came from (history), else null. */
  priceDate: string | null;
  /** quantity × price (negative for a short). */
  marketValue: number;
  /** marketValue / portfolio value. */
  weight: number;
  /** averageCost × |quantity|. */
  costBasis: number;
  /** (price − averageCost) × quantity: a short gains when the price falls. */
  unrealizedPnl: number;
  /** unrealizedPnl / costBasis; null when the cost basis is 0. */
  unrealizedPnlPct: number | null;
  realizedPnl: number;
}

/** Historical risk of the current weights over the lookback. */
export interface RiskFigures {
  benchmark: string;
  /** Returns used (≤ lookback: fewer when the shared history is shorter). */
  observations: number;
  /** Date of the first and last return used. */
  from: string;
  to: string;
  confidence: number;
  /**
   * cov(r_p, r_b) / var(r_b) (both with n − 1), r_p,t = Σ_i w_i r_i,t with the current weights w
   * (cash earns 0); null when the benchmark did not move.
   */
  beta: number | null;
  /** Annualised volatility of r_p: sample standard deviation × √252. */
  volatility: number;
  /**
   * Historical 1-day value at risk: with the N returns sorted ascending and k = ⌈(1 − confidence)·N⌉
   * (at least 1), VaR = −r_(k), the k-th worst return, as a positive loss fraction (negative if
   * even the k-th worst day was a gain). `amount` = fraction × portfolio value, rounded to the cent.
   */
  var: { fraction: number; amount: number };
  /** Expected shortfall: −(mean of the k worst returns), as a fraction and an amount. */
  cvar: { fraction: number; amount: number };
  /** k: how many worst returns the tail holds. */
  tailCount: number;
}

/** A stress window replayed. */
export interface StressReplay {
  available: true;
  name: string;
  /** The window asked for. */
  from: string;
  to: string;
  /** First and last trading day used (the window clipped to asOf and to the data). */
  start: string;
  end: string;
  /** Trading days in the replay (the union of the held symbols' and the benchmark's dates). */
  days: number;
  /**
   * V_end − 1, where V_t = 1 + Σ_i w_i (P_i,t / P_i,start − 1): buy-and-hold of the current
   * weights from the window's first day (what a holder would have lived through, no rebalancing),
   * P the adjusted close carried forward over days without a bar.
   */
  portfolioReturn: number;
  /** portfolioReturn × portfolio value, rounded to the cent. */
  portfolioPnl: number;
  /** max over t of 1 − V_t / max_{s≤t} V_s (positive fraction), with the peak and trough days. */
  maxDrawdown: number;
  drawdownPeak: string;
  drawdownTrough: string;
  /**
   * Held symbols without data for the window (no bar on or before its first day, or none inside
   * it): their weight is treated as cash, earning 0 over the window.
   */
  missing: string[];
  /** Σ weights of the missing symbols. */
  missingWeight: number;
  /** The benchmark's buy-and-hold return over the same days; null when it has no data there. */
  benchmarkReturn: number | null;
  benchmarkMaxDrawdown: number | null;
}

/** A stress window that could not be replayed, and why. */
export interface StressUnavailable {
  available: false;
  name: string;
  from: string;
  to: string;
  reason: string;
}

export type StressResult = StressReplay | StressUnavailable;

/** Everything `get_portfolio` shows. */
export interface PortfolioAnalytics {
  asOf: string;
  /** Σ marketValue + cash. */
  value: number;
  cash: number;
  /** cash / value. */
  cashWeight: number;
  /** Σ |marketValue| / value. */
  grossExposure: number;
  /** Σ marketValue / value (= 1 − cashWeight). */
  netExposure: number;
  /** Sorted by symbol. */
  positions: PositionFigures[];
  /** Weight by symbol (same order as positions). */
  weights: Record<string, number>;
  /** Σ unrealizedPnl. */
  unrealizedPnl: number;
  /** Σ realizedPnl. */
  realizedPnl: number;
  /** Null when fewer than MIN_RISK_OBSERVATIONS shared returns exist before asOf. */
  risk: RiskFigures | null;
  /** Why risk is null (else null). */
  riskNote: string | null;
  stress: StressResult[];
}

/** Input `portfolioAnalytics` refuses; the message names the bad value and what is valid. */
export class PortfolioAnalyticsError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'PortfolioAnalyticsError';
  }
}
