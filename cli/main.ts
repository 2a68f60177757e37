/** The `countersign` command line: parses arguments and runs one command. */
import { Command, InvalidArgumentError } from 'commander';
import { APP_VERSION } from '../config/app-info.js';
import { reportFailure } from './errors.js';
import { importCommand } from './import.js';
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

try {
  await program.parseAsync();
} catch (error) {
  process.exitCode = reportFailure(error);
}
