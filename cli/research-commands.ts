/**
 * The research commands — backtest, optimize, optimize-portfolio, screen, rebalance-plan — on
 * the program: their flags and help. Each runs its tool through the tool gate with channel cli
 * (cli/run-tool.ts).
 */
import type { Command } from 'commander';
import { FACTOR_NAMES } from '../core/screening/index.js';
import { STRATEGIES } from '../core/strategies/index.js';
import { backtestCommand } from './backtest.js';
import { optimizeCommand } from './optimize.js';
import { optimizePortfolioCommand } from './optimize-portfolio.js';
import { rebalancePlanCommand } from './rebalance-plan.js';
import { RUN_OPTION_FLAGS } from './run-options.js';
import { screenCommand } from './screen.js';

/** Adds the research commands to `program`. */
export function addResearchCommands(program: Command): void {
  const backtest = program
    .command('backtest')
    .description(
      'backtest a strategy on daily bars (from the database, or from CSV files with --data)',
    )
    .requiredOption('--strategy <name>', `strategy: ${STRATEGIES.map((s) => s.name).join(', ')}`)
    .requiredOption(
      '--symbols <list>',
      'comma-separated tickers, e.g. AAPL or AAPL,MSFT (they share one cash balance)',
    )
    .option(
      '--params <list>',
      'strategy parameters, e.g. fast=10,slow=50 (defaults for any left out)',
    );
  for (const [flags, description] of RUN_OPTION_FLAGS) backtest.option(flags, description);
  backtest
    .option('--curve', 'with --json: include the equity, drawdown and benchmark curves')
    .option(
      '--json',
      'print one JSON object (final_equity, fills, trades, metrics, inputs, elapsed_ms)',
    )
    .action(backtestCommand);

  const optimize = program
    .command('optimize')
    .description(
      "search a strategy's parameters per symbol (grid, random or TPE), optionally with walk-forward validation",
    )
    .requiredOption(
      '--strategy <name>',
      `strategy: ${STRATEGIES.filter((s) => s.kind === 'per_symbol')
        .map((s) => s.name)
        .join(', ')}`,
    )
    .requiredOption('--symbols <list>', 'comma-separated tickers; each is optimized on its own')
    .option(
      '--grid <spec>',
      "values to search, e.g. fast=5:50:5,slow=20:200:20 (min:max:step, a|b|c or one value); default: the strategy's declared ranges",
    )
    .option(
      '--method <m>',
      'grid (default, every combination), random or tpe (Bayesian, sample-efficient)',
    )
    .option('--trials <n>', 'random/tpe: parameter sets to try (default 100); grid: a cap')
    .option('--seed <n>', 'random/tpe: seed, for repeatable runs (default 1)')
    .option(
      '--objective <names>',
      'sharpe (default), sortino, cagr, calmar, total_return, max_drawdown, profit_factor; several (comma-separated) give a Pareto front',
      'sharpe',
    )
    .option(
      '--walk-forward <folds>',
      'also validate with this many rolling in-sample/out-of-sample folds',
    )
    .option(
      '--workers <n>',
      'worker threads (default: 1 for small jobs, every core for large ones)',
    )
    .option(
      '--queue <name>',
      'with REDIS_URL: share the work on this Redis queue; by default countersign-optimize is used when a countersign worker listens on it',
    )
    .option('--local', 'run only on this machine, even when REDIS_URL is set');
  for (const [flags, description] of RUN_OPTION_FLAGS) optimize.option(flags, description);
  optimize
    .option(
      '--json',
      'print one JSON object: rows (symbol, parameters, final_equity, objective, trade_count), best, walk_forward, elapsed_ms',
    )
    .action(optimizeCommand);

  program
    .command('optimize-portfolio')
    .description(
      'portfolio weights from price history: min_variance, max_sharpe, mean_variance, target_return, target_volatility, risk_parity, hrp, inverse_volatility, equal_weight',
    )
    .requiredOption(
      '--symbols <list>',
      'comma-separated tickers, or all (every symbol with prices)',
    )
    .option(
      '--objective <name>',
      'max_sharpe (default), min_variance, mean_variance, target_return, target_volatility, risk_parity, hrp, inverse_volatility, equal_weight',
    )
    .option(
      '--end <date>',
      'last day of the estimation window, YYYY-MM-DD (default: the latest prices)',
    )
    .option('--lookback <n>', 'daily returns in the window (default 756, three years)')
    .option(
      '--mean <estimator>',
      'expected returns: historical (default, mean × 252), ewma or shrunk',
    )
    .option('--covariance <estimator>', 'sample (default, n−1, × 252), ledoit_wolf or ewma')
    .option('--span <days>', 'EWMA span in days (default 180)')
    .option('--risk-free <rate>', 'annual risk-free rate for Sharpe (default 0)')
    .option('--risk-aversion <lambda>', 'mean_variance: minimise λ/2·w′Σw − μ′w (default 1)')
    .option('--target-return <r>', 'target_return: annual expected return, e.g. 0.15')
    .option('--target-volatility <v>', 'target_volatility: annual volatility, e.g. 0.12')
    .option(
      '--min-weight <w>',
      'lowest weight per asset (default 0: long-only; negative allows shorts)',
    )
    .option('--max-weight <w>', 'highest weight per asset (default 1)')
    .option(
      '--sector-cap <w>',
      'highest total weight per sector (sectors from the instruments table or constituents.csv)',
    )
    .option(
      '--max-holdings <n>',
      'at most this many assets with a weight (a heuristic: see the notes)',
    )
    .option(
      '--current <weights>',
      'the current portfolio for --max-turnover, e.g. AAPL=0.5,MSFT=0.5',
    )
    .option('--max-turnover <t>', 'Σ|w − current| at most this much')
    .option('--frontier <n>', 'also compute n points of the efficient frontier')
    .option(
      '--bootstrap <n>',
      'bootstrap confidence intervals for return and volatility from n resamples',
    )
    .option('--seed <n>', 'bootstrap seed (default 1)')
    .option(
      '--skip-incomplete',
      'leave out symbols without a price on every day of the window (always on with --symbols all)',
    )
    .option(
      '--data <path>',
      'a folder of SYMBOL.csv(.gz) files (and constituents.csv for sectors); without it, the database',
    )
    .option(
      '--json',
      'print one JSON object: weights by symbol, expected_return, volatility, sharpe, risk_contributions, elapsed_ms',
    )
    .action(optimizePortfolioCommand);

  program
    .command('screen')
    .description(
      'rank stocks on one date by weighted cross-sectional factor z-scores, using only data up to that date',
    )
    .requiredOption('--as-of <date>', 'the date to screen on, YYYY-MM-DD')
    .option('--symbols <list>', 'comma-separated tickers, or all (default)')
    .option('--top <n>', 'rows to show (default 20, at most 500)')
    .option(
      '--weights <list>',
      `factor weights, e.g. momentum_12_1=1,volatility=0.5 (the factors: ${FACTOR_NAMES.join(', ')}); default a momentum-led blend`,
    )
    .option('--min-price <p>', 'keep symbols whose close is at least this')
    .option(
      '--min-dollar-volume <v>',
      'keep symbols whose average close × volume over 20 days is at least this',
    )
    .option('--sectors <list>', 'keep only these sectors, comma-separated')
    .option('--above-sma200', 'keep only symbols above their 200-day average')
    .option('--winsorize <z>', 'clip z-scores at ±z (default 3)')
    .option(
      '--data <path>',
      'a folder of SYMBOL.csv(.gz) files (and constituents.csv for sectors); without it, the database',
    )
    .option(
      '--json',
      'print one JSON object: rows with score, contributions, factors and z-scores, elapsed_ms',
    )
    .action(screenCommand);

  program
    .command('rebalance-plan')
    .description(
      'plan the orders that move positions and cash to target weights (sells first, drift band, costs); it places nothing',
    )
    .requiredOption('--cash <amount>', 'cash in the account now')
    .option('--positions <list>', 'shares held now, e.g. AAPL=10,MSFT=5 (default none)')
    .option('--targets <list>', 'target weights, e.g. AAPL=0.5,MSFT=0.3 (the rest stays cash)')
    .option(
      '--targets-from <file>',
      'target weights from the output of countersign optimize-portfolio --json',
    )
    .option(
      '--as-of <date>',
      'price the plan at the last close on or before this day (default: the latest)',
    )
    .option('--fractional', 'allow fractional shares (default: whole shares)')
    .option(
      '--drift <fraction>',
      'trade a name only when |weight − target| / target exceeds this (default 0.05)',
    )
    .option('--min-notional <amount>', 'skip orders smaller than this (default 100)')
    .option('--cash-buffer <fraction>', 'keep this fraction of equity in cash (default 0)')
    .option('--max-position <fraction>', 'cap each target weight (default 1)')
    .option('--commission-bps <bps>', 'estimated commission in basis points (default 0)')
    .option('--commission-per-share <amount>', 'estimated commission per share (default 0)')
    .option('--commission-min <amount>', 'minimum commission per order (default 0)')
    .option('--slippage-bps <bps>', 'estimated slippage in basis points (default 0)')
    .option('--data <path>', 'a folder of SYMBOL.csv(.gz) files; without it, the database')
    .option('--json', 'print the plan as one JSON object')
    .action(rebalancePlanCommand);
}
