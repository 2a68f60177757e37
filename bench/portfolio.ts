/**
 * Portfolio optimization and screening speed on the S&P 500 set: each objective at ~490 and 100
 * assets (estimators included: returns, μ and Σ from the prices in memory), and a screen of every
 * ticker on one date. Warm figures are medians of repeated runs in this process; `cold_ms` is
 * the first run, as a fresh `countersign optimize-portfolio` pays it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../config/app-info.js';
import { estimate } from '../core/portfolio/estimators/estimate.js';
import { buildReturns } from '../core/portfolio/estimators/returns.js';
import {
  optimizePortfolio,
  type PortfolioObjective,
  type PortfolioRequest,
} from '../core/portfolio/optimize/index.js';
import { screenStocks } from '../core/screening/index.js';
import type { PriceSeries } from '../core/series/price-series.js';
import { loadUniverse } from '../store/market-data/universe.js';

const UNIVERSE = path.resolve(PROJECT_ROOT, '..', 'shared', 'data', 'sp500-daily');
const END = '2021-04-21';
const LOOKBACK = 756;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** Times `work` once cold and `runs` times warm. */
function time(work: () => void, runs: number): { cold: number; median: number; p95: number } {
  let started = performance.now();
  work();
  const cold = performance.now() - started;
  const laps: number[] = [];
  for (let k = 0; k < runs; k++) {
    started = performance.now();
    work();
    laps.push(performance.now() - started);
  }
  laps.sort((a, b) => a - b);
  return {
    cold,
    median: median(laps),
    p95: laps[Math.min(laps.length - 1, Math.floor(0.95 * laps.length))] as number,
  };
}

/** One optimization from prices: returns, estimators, solve. */
function optimizeFromPrices(
  series: PriceSeries[],
  objective: PortfolioObjective,
  extra: Partial<PortfolioRequest> = {},
) {
  const { returns } = buildReturns(series, { end: END, lookback: LOOKBACK, skipIncomplete: true });
  return optimizePortfolio({ estimate: estimate(returns), objective, ...extra });
}

export async function benchPortfolio(emit: (line: object) => void): Promise<void> {
  if (!existsSync(UNIVERSE)) {
    emit({ bench: 'portfolio', skipped: `the full data set is not at ${UNIVERSE}` });
    return;
  }
  const { series, sectors } = await loadUniverse(
    { kind: 'files', path: UNIVERSE },
    { symbols: 'all' },
  );
  const complete = buildReturns(series, { end: END, lookback: LOOKBACK, skipIncomplete: true });
  const kept = new Set(complete.returns.symbols);
  const all = series.filter((one) => kept.has(one.symbol));
  const hundred = all.slice(0, 100);

  const estimators = time(
    () => estimate(buildReturns(all, { end: END, lookback: LOOKBACK }).returns),
    20,
  );
  emit({
    bench: 'portfolio_estimators',
    assets: all.length,
    returns: LOOKBACK,
    cold_ms: estimators.cold,
    median_ms: estimators.median,
    p95_ms: estimators.p95,
  });

  const cases: [PortfolioObjective, Partial<PortfolioRequest>, number | undefined][] = [
    ['min_variance', {}, 40],
    ['max_sharpe', { riskFreeRate: 0 }, 40],
    ['mean_variance', { riskAversion: 10 }, 40],
    ['risk_parity', {}, 200],
    ['hrp', {}, 200],
    ['inverse_volatility', {}, 200],
    ['equal_weight', {}, 200],
    ['min_variance', { constraints: { maxWeight: 0.05, sectors, sectorCaps: 0.3 } }, 200],
    ['max_sharpe', { constraints: { maxWeight: 0.1, sectors, sectorCaps: 0.3 } }, 200],
    ['risk_parity', { constraints: { maxWeight: 0.01 } }, 200],
    ['hrp', { constraints: { maxWeight: 0.01 } }, 200],
  ];
  for (const [universe, label, target100] of [
    [all, 'all', undefined],
    [hundred, '100', 2],
  ] as const) {
    for (const [objective, extra, target] of cases) {
      const constrained = extra.constraints !== undefined;
      if (universe === hundred && constrained) continue;
      let result = optimizeFromPrices(universe, objective, extra);
      const timing = time(() => {
        result = optimizeFromPrices(universe, objective, extra);
      }, 15);
      emit({
        bench: 'portfolio_optimize',
        objective,
        constraints: constrained
          ? JSON.stringify({ ...extra.constraints, sectors: undefined })
          : 'long_only',
        assets: universe.length,
        universe: label,
        held: Object.values(result.weights).filter((w) => Math.abs(w) > 1e-8).length,
        volatility: result.volatility,
        sharpe: result.sharpe,
        cold_ms: timing.cold,
        median_ms: timing.median,
        p95_ms: timing.p95,
        target_ms:
          label === '100' && ['min_variance', 'max_sharpe', 'mean_variance'].includes(objective)
            ? target100
            : target,
      });
    }
  }

  const screen = time(() => screenStocks({ series, sectors }, { asOf: '2020-12-31' }), 30);
  emit({
    bench: 'screen_universe',
    symbols: series.length,
    as_of: '2020-12-31',
    cold_ms: screen.cold,
    median_ms: screen.median,
    p95_ms: screen.p95,
    target_ms: 100,
  });
}
