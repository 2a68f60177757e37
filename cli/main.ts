/** The `countersign` command line: parses arguments and runs one command. */
import { Command, InvalidArgumentError } from 'commander';
import { APP_VERSION } from '../config/app-info.js';
import { STRATEGIES } from '../core/strategies/index.js';
import { backtestCommand } from './backtest.js';
import { reportFailure } from './errors.js';
import { importCommand } from './import.js';
import { optimizeCommand } from './optimize.js';
import { RUN_OPTION_FLAGS } from './run-options.js';
import { serveCommand } from './serve.js';
import { workerCommand } from './worker.js';

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || parsed < 1)
    throw new InvalidArgumentError(`"${value}" is not a whole number ≥ 1.`);
  return parsed;
}

const program = new Command('countersign')
  .version(APP_VERSION)
  .description(
    'Countersign: a chat-first trading assistant. The assistant drafts; the human countersigns.',
  )
  .showHelpAfterError()
  .showSuggestionAfterError();

program
  .command('serve')
  .description('run the server in the foreground (what `npm start` runs); Ctrl-C stops it cleanly')
  .action(serveCommand);

program
  .command('import')
  .description(
    'import daily OHLCV prices from CSV files (plain or .gz) or folders of them; a file with any bad row is refused whole',
  )
  .argument(
    '<paths...>',
    'files or folders; a file SYMBOL.csv(.gz) holds that symbol, a constituents.csv (Symbol,Name,Sector) sets names and sectors',
  )
  .option('-c, --concurrency <n>', 'files imported at the same time', positiveInteger, 2)
  .option('--json', 'print the summary as one JSON object')
  .action(importCommand);

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
  .option('--workers <n>', 'worker threads (default: 1 for small jobs, every core for large ones)')
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
  .command('worker')
  .description(
    'work optimization jobs from the Redis queue (needs REDIS_URL); run it on more machines to add capacity, Ctrl-C finishes the running jobs and stops',
  )
  .option('--threads <n>', 'jobs run at once, one per thread (default: every core)')
  .option('--queue <name>', 'the queue to work (default countersign-optimize)')
  .action(workerCommand);

try {
  await program.parseAsync();
} catch (error) {
  process.exitCode = reportFailure(error);
}
