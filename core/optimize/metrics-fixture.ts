/** A complete Metrics value for tests of the optimiser, with the figures a test cares about overridden. */
import type { Drawdown, Metrics } from '../metrics/metrics.js';

/**
 * A plausible one-year run (+10 %, Sharpe 1, 20 % drawdown) with `overrides` applied; tests set the
 * figures an objective reads and leave the rest. `maxDrawdownDepth` sets the nested drawdown depth.
 */
export function metricsFixture(
  overrides: Partial<Omit<Metrics, 'maxDrawdown'>> & { maxDrawdownDepth?: number } = {},
): Metrics {
  const { maxDrawdownDepth = 0.2, ...rest } = overrides;
  const maxDrawdown: Drawdown = {
    depth: maxDrawdownDepth,
    peakDate: '2020-03-02',
    troughDate: '2020-03-23',
    recoveryDate: '2020-06-08',
    durationBars: 68,
    durationDays: 98,
  };
  return {
    startDate: '2020-01-02',
    endDate: '2020-12-31',
    bars: 253,
    startEquity: 100_000,
    endEquity: 110_000,
    totalReturn: 0.1,
    cagr: 0.1,
    annualVolatility: 0.1,
    sharpe: 1,
    sortino: 1.4,
    calmar: 0.5,
    maxDrawdown,
    tradeCount: 12,
    winRate: 0.5,
    profitFactor: 1.5,
    expectancy: 800,
    averageWin: 4000,
    averageLoss: -2400,
    averageHoldingBars: 9,
    bestTrade: 9000,
    worstTrade: -5000,
    exposure: 0.45,
    turnover: 4.2,
    recoveryFactor: 0.5,
    alpha: null,
    beta: null,
    informationRatio: null,
    ...rest,
  };
}
