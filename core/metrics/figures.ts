/** The return, risk and benchmark figures of a run, each defined once here with its formula. */

// Conventions shared by every figure below: returns are per-bar simple returns
// r = equity_i / equity_(i−1) − 1; the risk-free rate is annual and enters per bar as
// rf / periodsPerYear (simple, not compounded); a figure undefined for the run is null, never
// NaN or Infinity, because the metrics travel as JSON.

import type { CurveStatistics } from './curve-statistics.js';
import { daysBetween } from './day-number.js';

/** Calendar days per year for CAGR and turnover: 365.25 averages leap years over a cycle. */
const DAYS_PER_YEAR = 365.25;

/**
 * A per-bar spread below this is floating-point residue, not risk: a curve that grows by the same
 * factor every bar leaves a spread near 1e-17, which would otherwise give a Sharpe ratio of 1e15.
 */
const NEGLIGIBLE_SPREAD = 1e-12;

/** Total return: endEquity / startEquity − 1. */
export function totalReturn(startEquity: number, endEquity: number): number {
  return endEquity / startEquity - 1;
}

/** Years of calendar time between two ISO dates: days / 365.25 (0 for a single bar). */
export function calendarYears(startDate: string, endDate: string): number {
  return daysBetween(startDate, endDate) / DAYS_PER_YEAR;
}

/**
 * CAGR: (1 + totalReturn)^(1 / years) − 1, years in calendar time (see `calendarYears`), so a
 * run's weekends and holidays count. Null when no calendar time passed or equity ended negative.
 */
export function cagr(totalReturn: number, years: number): number | null {
  if (!(years > 0) || totalReturn < -1) return null;
  return finite((1 + totalReturn) ** (1 / years) - 1);
}

/** Annual volatility: sample standard deviation of per-bar returns × √periodsPerYear. Null below 2 returns. */
export function annualVolatility(stats: CurveStatistics, periodsPerYear: number): number | null {
  if (stats.count < 2) return null;
  return finite(Math.sqrt(stats.variance * periodsPerYear));
}

/**
 * Sharpe ratio: (mean(r) − rf / periodsPerYear) / std(r) × √periodsPerYear, std the sample
 * standard deviation. Null below 2 returns or when returns do not vary.
 */
export function sharpe(
  stats: CurveStatistics,
  riskFreeRate: number,
  periodsPerYear: number,
): number | null {
  const spread = Math.sqrt(stats.variance);
  if (stats.count < 2 || spread < NEGLIGIBLE_SPREAD) return null;
  return finite(
    ((stats.mean - riskFreeRate / periodsPerYear) / spread) * Math.sqrt(periodsPerYear),
  );
}

/**
 * Sortino ratio: (mean(r) − rfBar) / downsideDeviation × √periodsPerYear, with rfBar =
 * rf / periodsPerYear and downsideDeviation = √(mean over ALL returns of min(0, r − rfBar)²)
 * (bars above the target count as zero shortfall, the usual target-downside convention).
 * Null below 2 returns or when no return fell short of rfBar.
 */
export function sortino(
  stats: CurveStatistics,
  riskFreeRate: number,
  periodsPerYear: number,
): number | null {
  const downside = Math.sqrt(stats.downsideVariance);
  if (stats.count < 2 || downside < NEGLIGIBLE_SPREAD) return null;
  const excess = stats.mean - riskFreeRate / periodsPerYear;
  return finite((excess / downside) * Math.sqrt(periodsPerYear));
}

/** Calmar ratio: CAGR / max drawdown depth (a positive fraction). Null when CAGR is null or equity never fell. */
export function calmar(cagr: number | null, drawdownDepth: number): number | null {
  if (cagr === null || !(drawdownDepth > 0)) return null;
  return finite(cagr / drawdownDepth);
}

/**
 * Recovery factor: net profit (endEquity − startEquity) / largest fall from a running peak in
 * currency. Null when equity never fell.
 */
export function recoveryFactor(netProfit: number, largestFall: number): number | null {
  if (!(largestFall > 0)) return null;
  return finite(netProfit / largestFall);
}

/** Exposure: mean over all bars of gross position value / equity at the close (0 = always flat). */
export function exposure(stats: CurveStatistics): number {
  return stats.meanExposure;
}

/**
 * Annual turnover: (Σ |fill notional| / 2) / mean equity / years, years in calendar time. Halving
 * counts a round trip (buy then sell) once, so 1.0 means the book was replaced once a year.
 * 0 when no calendar time passed (one bar) or mean equity is not positive: the field is a plain
 * number in `Metrics`, and no time means nothing to annualise.
 */
export function turnover(tradedNotional: number, meanEquity: number, years: number): number {
  if (!(years > 0) || !(meanEquity > 0)) return 0;
  return finite(tradedNotional / 2 / meanEquity / years) ?? 0;
}

/**
 * Beta: cov(r, rb) / var(rb), both sample (divisor n − 1), rb the benchmark's per-bar return.
 * Null without a benchmark, below 2 returns, or when the benchmark does not move.
 */
export function beta(stats: CurveStatistics): number | null {
  const benchmark = stats.benchmark;
  if (benchmark === null || stats.count < 2) return null;
  if (Math.sqrt(benchmark.variance) < NEGLIGIBLE_SPREAD) return null;
  return finite(benchmark.covariance / benchmark.variance);
}

/**
 * Jensen's alpha, annualised: (mean(r) − rfBar − beta × (mean(rb) − rfBar)) × periodsPerYear,
 * rfBar = rf / periodsPerYear. Null whenever beta is null.
 */
export function alpha(
  stats: CurveStatistics,
  riskFreeRate: number,
  periodsPerYear: number,
): number | null {
  const slope = beta(stats);
  if (slope === null || stats.benchmark === null) return null;
  const riskFreePerBar = riskFreeRate / periodsPerYear;
  const excess = stats.mean - riskFreePerBar;
  const benchmarkExcess = stats.benchmark.mean - riskFreePerBar;
  return finite((excess - slope * benchmarkExcess) * periodsPerYear);
}

/**
 * Information ratio: mean(r − rb) / std(r − rb) × √periodsPerYear, std the sample standard
 * deviation. Null without a benchmark, below 2 returns, or when the strategy tracks it exactly.
 */
export function informationRatio(stats: CurveStatistics, periodsPerYear: number): number | null {
  const benchmark = stats.benchmark;
  if (benchmark === null || stats.count < 2) return null;
  const spread = Math.sqrt(benchmark.activeVariance);
  if (spread < NEGLIGIBLE_SPREAD) return null;
  return finite((benchmark.activeMean / spread) * Math.sqrt(periodsPerYear));
}

/** The value, or null when it is NaN or ±Infinity (which JSON cannot carry). */
function finite(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}
