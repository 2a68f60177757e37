/** `countersign optimize-portfolio`: weights for a set of symbols from their price history. */
import { isIsoDate } from '../core/daily-bar.js';
import {
  COVARIANCE_ESTIMATORS,
  type CovarianceEstimator,
  estimate,
  MEAN_ESTIMATORS,
  type MeanEstimator,
} from '../core/portfolio/estimators/estimate.js';
import { buildReturns } from '../core/portfolio/estimators/returns.js';
import {
  optimizePortfolio,
  PORTFOLIO_OBJECTIVES,
  type PortfolioObjective,
  type PortfolioRequest,
  type PortfolioResult,
} from '../core/portfolio/optimize/index.js';
import { loadUniverse } from '../store/market-data/universe.js';
import { reportRunFailure } from './input-errors.js';
import { percent, ratio, table, toJson } from './output.js';
import { today, withSeriesSource } from './research-source.js';
import { choice, number, parseSymbols, parseWeights, UsageError } from './run-options.js';

/** The option strings commander hands over. */
export interface OptimizePortfolioOptions {
  symbols: string;
  objective?: string;
  end?: string;
  lookback?: string;
  riskAversion?: string;
  riskFree?: string;
  targetReturn?: string;
  targetVolatility?: string;
  minWeight?: string;
  maxWeight?: string;
  sectorCap?: string;
  maxHoldings?: string;
  current?: string;
  maxTurnover?: string;
  mean?: string;
  covariance?: string;
  span?: string;
  frontier?: string;
  bootstrap?: string;
  seed?: string;
  skipIncomplete?: boolean;
  data?: string;
  json?: boolean;
}

function whole(flag: string, text: string | undefined, min: number, max: number) {
  const value = number(flag, text, `use a whole number from ${min} to ${max}`);
  if (value !== undefined && !(Number.isInteger(value) && value >= min && value <= max))
    throw new UsageError(`${flag} ${text} is not valid; use a whole number from ${min} to ${max}`);
  return value;
}

/** The parsed request, minus the estimate. */
interface Parsed {
  symbols: string[] | 'all';
  end?: string;
  lookback: number;
  mean: MeanEstimator;
  covariance: CovarianceEstimator;
  span?: number;
  request: Omit<PortfolioRequest, 'estimate' | 'bootstrap'>;
  bootstrap?: { samples: number; seed: number };
  skipIncomplete: boolean;
}

function parse(options: OptimizePortfolioOptions): Parsed {
  const symbols =
    options.symbols.trim().toLowerCase() === 'all' ? 'all' : parseSymbols(options.symbols);
  if (options.end !== undefined) {
    if (!isIsoDate(options.end))
      throw new UsageError(
        `--end ${JSON.stringify(options.end)} is not a date; write YYYY-MM-DD, e.g. 2021-04-21`,
      );
    if (options.end > today())
      throw new UsageError(`--end ${options.end} is in the future; today is ${today()}`);
  }
  const riskAversion = number('--risk-aversion', options.riskAversion, 'use a number > 0');
  if (riskAversion !== undefined && !(riskAversion > 0))
    throw new UsageError(
      `--risk-aversion ${options.riskAversion} is not valid; use a number > 0 (e.g. 10)`,
    );
  const bootstrap = whole('--bootstrap', options.bootstrap, 10, 100_000);
  const current = options.current ? parseWeights('--current', options.current) : undefined;
  const sectorCap = number('--sector-cap', options.sectorCap, 'use a fraction such as 0.3');
  return {
    symbols,
    end: options.end,
    lookback: whole('--lookback', options.lookback, 2, 100_000) ?? 756,
    mean: choice('--mean', options.mean, MEAN_ESTIMATORS) ?? 'historical',
    covariance: choice('--covariance', options.covariance, COVARIANCE_ESTIMATORS) ?? 'sample',
    span: number('--span', options.span, 'use a number of days ≥ 1'),
    skipIncomplete: options.skipIncomplete === true || symbols === 'all',
    bootstrap:
      bootstrap === undefined
        ? undefined
        : { samples: bootstrap, seed: whole('--seed', options.seed, 0, 2 ** 31) ?? 1 },
    request: {
      objective:
        choice('--objective', options.objective, PORTFOLIO_OBJECTIVES) ??
        ('max_sharpe' as PortfolioObjective),
      riskFreeRate: number('--risk-free', options.riskFree, 'use an annual rate such as 0.02'),
      riskAversion,
      targetReturn: number(
        '--target-return',
        options.targetReturn,
        'use an annual return such as 0.15',
      ),
      targetVolatility: number(
        '--target-volatility',
        options.targetVolatility,
        'use an annual volatility such as 0.12',
      ),
      frontierPoints: whole('--frontier', options.frontier, 2, 1000),
      constraints: {
        minWeight: number('--min-weight', options.minWeight, 'use a weight such as 0 or -0.05'),
        maxWeight: number('--max-weight', options.maxWeight, 'use a weight such as 0.1'),
        sectorCaps: sectorCap,
        maxHoldings: whole('--max-holdings', options.maxHoldings, 1, 100_000),
        currentWeights: current,
        maxTurnover: number('--max-turnover', options.maxTurnover, 'use a fraction such as 0.2'),
      },
    },
  };
}

/** What the command prints with --json: weights keyed by symbol, the figures, elapsed_ms. */
export function portfolioJson(
  result: PortfolioResult,
  extra: Record<string, unknown>,
  elapsedMs: number,
): Record<string, unknown> {
  // Symbols are keys here: they stay as they are (toJson would snake-case "BRK.B").
  const { weights, riskContributions, ...rest } = result;
  return {
    ...(toJson(rest) as Record<string, unknown>),
    weights,
    risk_contributions: riskContributions,
    ...(toJson(extra) as Record<string, unknown>),
    elapsed_ms: elapsedMs,
  };
}

function summary(result: PortfolioResult, info: Record<string, unknown>, elapsedMs: number) {
  const held = Object.entries(result.weights)
    .filter(([, w]) => Math.abs(w) >= 5e-5)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const lines: [string, string][] = [
    ['Objective', result.objective],
    ['Expected return', `${percent(result.expectedReturn)} a year`],
    ['Volatility', `${percent(result.volatility)} a year`],
    ['Sharpe', ratio(result.sharpe)],
    ['Assets', `${held.length} held of ${info.assets} (${info.window})`],
  ];
  if (result.bootstrap)
    lines.push([
      `${Math.round(result.bootstrap.confidence * 100)} % bootstrap`,
      `return ${percent(result.bootstrap.expectedReturn.low)} to ${percent(result.bootstrap.expectedReturn.high)}, volatility ${percent(result.bootstrap.volatility.low)} to ${percent(result.bootstrap.volatility.high)}`,
    ]);
  lines.push(['Computed in', `${elapsedMs.toFixed(1)} ms`]);
  const weights = held.map(
    ([symbol, w]) =>
      [
        symbol,
        `${percent(w).padStart(8)}  risk ${percent(result.riskContributions[symbol] ?? 0)}`,
      ] as [string, string],
  );
  const notes = result.notes.map((note) => `Note: ${note}`).join('\n');
  return `${table(lines)}\n\nWeights:\n${table(weights)}${notes ? `\n\n${notes}` : ''}`;
}

/** Runs the command. */
export async function optimizePortfolioCommand(options: OptimizePortfolioOptions): Promise<void> {
  try {
    const parsed = parse(options);
    const { series, sectors } = await withSeriesSource(options.data, (source) =>
      loadUniverse(source, { symbols: parsed.symbols }),
    );
    const started = performance.now();
    const { returns, dropped } = buildReturns(series, {
      end: parsed.end,
      lookback: parsed.lookback,
      skipIncomplete: parsed.skipIncomplete,
    });
    const estimated = estimate(returns, {
      mean: parsed.mean,
      covariance: parsed.covariance,
      span: parsed.span,
    });
    const result = optimizePortfolio({
      ...parsed.request,
      estimate: estimated,
      constraints: { ...parsed.request.constraints, sectors },
      bootstrap: parsed.bootstrap ? { returns, ...parsed.bootstrap } : undefined,
    });
    const elapsedMs = performance.now() - started;
    const window = `${returns.T} daily returns, ${returns.dates[0]} to ${returns.dates[returns.T - 1]}`;
    const info = {
      assets: returns.n,
      window,
      estimators: {
        mean: estimated.mean,
        covariance: estimated.covariance,
        shrinkage: estimated.shrinkage,
        lookback: returns.T,
        start: returns.dates[0],
        end: returns.dates[returns.T - 1],
      },
      dropped,
    };
    if (options.json) console.log(JSON.stringify(portfolioJson(result, info, elapsedMs)));
    else {
      console.log(summary(result, info, elapsedMs));
      if (dropped.length > 0)
        console.error(
          `Left out ${dropped.length} symbol(s) without complete prices: ${dropped.map((d) => d.symbol).join(', ')}`,
        );
    }
  } catch (error) {
    process.exitCode = reportRunFailure('optimize-portfolio', error);
  }
}
