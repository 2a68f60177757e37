/** The `countersign` command line: parses arguments and runs one command. */
import { Command, InvalidArgumentError } from 'commander';
import { APP_VERSION } from '../config/app-info.js';
import { STRATEGIES } from '../core/strategies/index.js';
import { backtestCommand } from './backtest.js';
import { reportFailure } from './errors.js';
import { importCommand } from './import.js';
import { RUN_OPTION_FLAGS } from './run-options.js';
import { serveCommand } from './serve.js';

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

try {
  await program.parseAsync();
} catch (error) {
  process.exitCode = reportFailure(error);
}
