/** `countersign optimize-portfolio`: weights for a set of symbols from their price history (the optimize_portfolio tool). */
import { isIsoDate } from '../core/daily-bar.js';
import { COVARIANCE_ESTIMATORS, MEAN_ESTIMATORS } from '../core/portfolio/estimators/estimate.js';
import { PORTFOLIO_OBJECTIVES } from '../core/portfolio/optimize/types.js';
import { optimizePortfolioTool } from '../tools/optimize-portfolio.js';
import { reportRunFailure } from './input-errors.js';
import { percent, ratio, table } from './output.js';
import { today } from './research-source.js';
import { choice, number, parseSymbols, parseWeights, UsageError } from './run-options.js';
import { callTool } from './run-tool.js';

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

/** The optimize_portfolio arguments of the flags (undefined ones left out: the tool's defaults). */
function parse(options: OptimizePortfolioOptions): Record<string, unknown> {
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
  // Flags are checked in this order (the first bad one is reported), as before the tool.
  const args: Record<string, unknown> = {
    symbols,
    end: options.end,
    lookback: whole('--lookback', options.lookback, 2, 100_000),
    mean_estimator: choice('--mean', options.mean, MEAN_ESTIMATORS),
    covariance_estimator: choice('--covariance', options.covariance, COVARIANCE_ESTIMATORS),
    span: number('--span', options.span, 'use a number of days ≥ 1'),
    skip_incomplete: options.skipIncomplete === true ? true : undefined,
    bootstrap_samples: bootstrap,
    bootstrap_seed:
      bootstrap === undefined ? undefined : (whole('--seed', options.seed, 0, 2 ** 31) ?? 1),
    objective: choice('--objective', options.objective, PORTFOLIO_OBJECTIVES),
    risk_free: number('--risk-free', options.riskFree, 'use an annual rate such as 0.02'),
    risk_aversion: riskAversion,
    target_return: number(
      '--target-return',
      options.targetReturn,
      'use an annual return such as 0.15',
    ),
    target_volatility: number(
      '--target-volatility',
      options.targetVolatility,
      'use an annual volatility such as 0.12',
    ),
    frontier_points: whole('--frontier', options.frontier, 2, 1000),
    min_weight: number('--min-weight', options.minWeight, 'use a weight such as 0 or -0.05'),
    max_weight: number('--max-weight', options.maxWeight, 'use a weight such as 0.1'),
    sector_cap: sectorCap,
    max_holdings: whole('--max-holdings', options.maxHoldings, 1, 100_000),
    current_weights: current,
    max_turnover: number('--max-turnover', options.maxTurnover, 'use a fraction such as 0.2'),
    detail: 'full',
  };
  // The tool takes 2 or more symbols; one is refused with the estimator's words, after the flags.
  if (symbols !== 'all' && symbols.length < 2)
    throw new UsageError(`a portfolio needs at least two symbols, got 1 (${symbols[0]})`);
  return Object.fromEntries(Object.entries(args).filter(([, value]) => value !== undefined));
}

/** What optimize_portfolio answers with detail full (tools/optimize-portfolio.ts). */
interface Interval {
  low: number;
  high: number;
}
export interface PortfolioOutput {
  objective: string;
  weights: { symbol: string; weight: number }[];
  expected_return: number;
  volatility: number;
  sharpe: number | null;
  start: string;
  end: string;
  lookback: number;
  mean_estimator: string;
  covariance_estimator: string;
  shrinkage: number | null;
  notes: string[];
  dropped?: { symbol: string; reason: string }[];
  frontier?: { expected_return: number; volatility: number; sharpe: number | null }[];
  bootstrap?: {
    samples: number;
    confidence: number;
    expected_return: Interval;
    volatility: Interval;
  };
  risk_contributions?: { symbol: string; share: number }[];
  solver?: { method: string; iterations: number };
  elapsed_ms?: number;
}

/** "756 daily returns, 2018-04-20 to 2021-04-21". */
function windowOf(out: PortfolioOutput): string {
  return `${out.lookback} daily returns, ${out.start} to ${out.end}`;
}

/** What the command prints with --json: weights keyed by symbol, the figures, elapsed_ms. */
export function portfolioJson(out: PortfolioOutput): Record<string, unknown> {
  // Symbols are keys here, as they are (BRK.B stays BRK.B).
  return {
    objective: out.objective,
    expected_return: out.expected_return,
    volatility: out.volatility,
    sharpe: out.sharpe,
    frontier: out.frontier ?? [],
    bootstrap: out.bootstrap ?? null,
    solver: out.solver,
    notes: out.notes,
    weights: Object.fromEntries(out.weights.map((w) => [w.symbol, w.weight])),
    risk_contributions: Object.fromEntries(
      (out.risk_contributions ?? []).map((r) => [r.symbol, r.share]),
    ),
    assets: out.weights.length,
    window: windowOf(out),
    estimators: {
      mean: out.mean_estimator,
      covariance: out.covariance_estimator,
      shrinkage: out.shrinkage,
      lookback: out.lookback,
      start: out.start,
      end: out.end,
    },
    dropped: out.dropped ?? [],
    elapsed_ms: out.elapsed_ms,
  };
}

function summary(out: PortfolioOutput): string {
  const risk = new Map((out.risk_contributions ?? []).map((r) => [r.symbol, r.share]));
  const held = out.weights
    .map((w) => [w.symbol, w.weight] as [string, number])
    .filter(([, w]) => Math.abs(w) >= 5e-5)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const lines: [string, string][] = [
    ['Objective', out.objective],
    ['Expected return', `${percent(out.expected_return)} a year`],
    ['Volatility', `${percent(out.volatility)} a year`],
    ['Sharpe', ratio(out.sharpe)],
    ['Assets', `${held.length} held of ${out.weights.length} (${windowOf(out)})`],
  ];
  if (out.bootstrap)
    lines.push([
      `${Math.round(out.bootstrap.confidence * 100)} % bootstrap`,
      `return ${percent(out.bootstrap.expected_return.low)} to ${percent(out.bootstrap.expected_return.high)}, volatility ${percent(out.bootstrap.volatility.low)} to ${percent(out.bootstrap.volatility.high)}`,
    ]);
  lines.push(['Computed in', `${(out.elapsed_ms ?? 0).toFixed(1)} ms`]);
  const weights = held.map(
    ([symbol, w]) =>
      [symbol, `${percent(w).padStart(8)}  risk ${percent(risk.get(symbol) ?? 0)}`] as [
        string,
        string,
      ],
  );
  const notes = out.notes.map((note) => `Note: ${note}`).join('\n');
  return `${table(lines)}\n\nWeights:\n${table(weights)}${notes ? `\n\n${notes}` : ''}`;
}

/** Runs the command. */
export async function optimizePortfolioCommand(options: OptimizePortfolioOptions): Promise<void> {
  try {
    const args = parse(options);
    const out = (await callTool(optimizePortfolioTool, args, {
      data: options.data,
    })) as unknown as PortfolioOutput;
    if (options.json) console.log(JSON.stringify(portfolioJson(out)));
    else {
      console.log(summary(out));
      const dropped = out.dropped ?? [];
      if (dropped.length > 0)
        console.error(
          `Left out ${dropped.length} symbol(s) without complete prices: ${dropped.map((d) => d.symbol).join(', ')}`,
        );
    }
  } catch (error) {
    process.exitCode = reportRunFailure('optimize-portfolio', error);
  }
}
