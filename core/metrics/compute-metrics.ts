/** Computes every performance figure of a backtest from its equity curve, exposure and trades. */
import type { Trade } from '../engine/trade.js';
import { curveStatistics } from './curve-statistics.js';
import { daysBetween } from './day-number.js';
import { maxDrawdown, scanDrawdown } from './drawdown.js';
import {
  alpha,
  annualVolatility,
  beta,
  cagr,
  calendarYears,
  calmar,
  exposure,
  informationRatio,
  recoveryFactor,
  sharpe,
  sortino,
  totalReturn,
  turnover,
} from './figures.js';
import type { Metrics } from './metrics.js';
import {
  averageHoldingBars,
  averageLoss,
  averageWin,
  bestTrade,
  expectancy,
  profitFactor,
  summarizeTrades,
  winRate,
  worstTrade,
} from './trade-figures.js';

// Result curves are built next to the metrics, so callers find both here.
export { drawdownCurve } from './drawdown.js';

/** What a finished backtest hands over for measurement. */
export interface MetricsInput {
  /** ISO YYYY-MM-DD, one per bar, ascending. */
  dates: readonly string[];
  /** End-of-bar equity, same length as dates; equity[0] (the starting capital) must be > 0. */
  equity: Float64Array;
  /** Gross position value / equity at each bar's close (0 when flat). */
  exposure: Float64Array;
  /** Σ |shares × price| over all fills. */
  tradedNotional: number;
  trades: readonly Trade[];
  /** Benchmark equity per bar, same length (buy-and-hold of the same symbols). */
  benchmark?: Float64Array;
  /** Annual, default 0. */
  riskFreeRate?: number;
  /** Default 252. */
  periodsPerYear?: number;
}

/**
 * Every figure of the run (formulas in figures.ts, trade-figures.ts and drawdown.ts). Called for
 * each of thousands of backtests in an optimization, so it reads each curve a few times in tight
 * loops and allocates only the result. Throws RangeError for inconsistent input.
 */
export function computeMetrics(input: MetricsInput): Metrics {
  const { dates, equity, benchmark, tradedNotional } = input;
  const riskFreeRate = input.riskFreeRate ?? 0;
  const periodsPerYear = input.periodsPerYear ?? 252;
  validate(input, riskFreeRate, periodsPerYear);

  const bars = dates.length;
  const startDate = dates[0] as string;
  const endDate = dates[bars - 1] as string;
  const startEquity = equity[0] as number;
  const endEquity = equity[bars - 1] as number;
  const years = calendarYears(startDate, endDate);

  const curves = curveStatistics(equity, input.exposure, benchmark, riskFreeRate / periodsPerYear);
  // Checked after the pass rather than before: a separate scan per curve would cost as much as
  // the pass itself, while a NaN or Infinity anywhere always leaves a non-finite sum.
  if (!curves.allFinite) throwNonFinite(input);
  const scan = scanDrawdown(equity);
  const trades = summarizeTrades(input.trades);
  const growth = totalReturn(startEquity, endEquity);
  const annualGrowth = cagr(growth, years);

  return {
    startDate,
    endDate,
    bars,
    startEquity,
    endEquity,
    totalReturn: growth,
    cagr: annualGrowth,
    annualVolatility: annualVolatility(curves, periodsPerYear),
    sharpe: sharpe(curves, riskFreeRate, periodsPerYear),
    sortino: sortino(curves, riskFreeRate, periodsPerYear),
    calmar: calmar(annualGrowth, scan.depth),
    maxDrawdown: maxDrawdown(dates, scan),
    tradeCount: trades.count,
    winRate: winRate(trades),
    profitFactor: profitFactor(trades),
    expectancy: expectancy(trades),
    averageWin: averageWin(trades),
    averageLoss: averageLoss(trades),
    averageHoldingBars: averageHoldingBars(trades),
    bestTrade: bestTrade(trades),
    worstTrade: worstTrade(trades),
    exposure: exposure(curves),
    turnover: turnover(tradedNotional, curves.meanEquity, years),
    recoveryFactor: recoveryFactor(endEquity - startEquity, scan.largestFall),
    alpha: alpha(curves, riskFreeRate, periodsPerYear),
    beta: beta(curves),
    informationRatio: informationRatio(curves, periodsPerYear),
  };
}

/** Rejects input no figure could be computed from, naming the bad value and what was expected. */
function validate(input: MetricsInput, riskFreeRate: number, periodsPerYear: number): void {
  const bars = input.dates.length;
  if (bars === 0) throw new RangeError('metrics need at least 1 bar, got 0 dates');
  const first = input.dates[0] as string;
  const last = input.dates[bars - 1] as string;
  if (daysBetween(first, last) < 0) {
    throw new RangeError(`dates must ascend, but the last (${last}) precedes the first (${first})`);
  }
  for (const [name, curve] of namedCurves(input)) {
    if (curve.length !== bars) {
      throw new RangeError(
        `${name} has ${curve.length} values but dates has ${bars}; every curve needs one value per date`,
      );
    }
  }
  const capital = input.equity[0] as number;
  if (!(capital > 0)) {
    throw new RangeError(`equity[0] is ${capital}; the starting equity must be > 0`);
  }
  if (input.benchmark !== undefined && !((input.benchmark[0] as number) > 0)) {
    throw new RangeError(`benchmark[0] is ${input.benchmark[0]}; the benchmark must start > 0`);
  }
  if (!Number.isFinite(riskFreeRate)) {
    throw new RangeError(
      `riskFreeRate is ${riskFreeRate}; expected a finite annual rate such as 0.04`,
    );
  }
  if (!(periodsPerYear > 0) || !Number.isFinite(periodsPerYear)) {
    throw new RangeError(
      `periodsPerYear is ${periodsPerYear}; expected a finite number > 0 (252 for daily bars)`,
    );
  }
  if (!(input.tradedNotional >= 0) || !Number.isFinite(input.tradedNotional)) {
    throw new RangeError(`tradedNotional is ${input.tradedNotional}; expected a finite number ≥ 0`);
  }
}

/** Throws a RangeError naming the first NaN or ±Infinity in the curves and its date. */
function throwNonFinite(input: MetricsInput): never {
  for (const [name, curve] of namedCurves(input)) {
    for (let i = 0; i < curve.length; i++) {
      if (!Number.isFinite(curve[i])) {
        throw new RangeError(
          `${name}[${i}] is ${curve[i]} (${input.dates[i]}); every value must be a finite number`,
        );
      }
    }
  }
  // Finite values whose sum overflows (beyond ±1.8e308) are no equity curve either.
  throw new RangeError('equity, exposure and benchmark values must sum to a finite number');
}

/** The per-bar curves of the input with their names, for messages; the benchmark when given. */
function namedCurves(input: MetricsInput): [string, Float64Array][] {
  const curves: [string, Float64Array][] = [
    ['equity', input.equity],
    ['exposure', input.exposure],
  ];
  if (input.benchmark !== undefined) curves.push(['benchmark', input.benchmark]);
  return curves;
}
