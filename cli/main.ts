/** The `countersign` command line: parses arguments and runs one command. */
import { Command, InvalidArgumentError } from 'commander';
import { APP_VERSION } from '../config/app-info.js';
import { FACTOR_NAMES } from '../core/screening/index.js';
import { STRATEGIES } from '../core/strategies/index.js';
import { accountsListCommand, accountsSetCommand } from './accounts.js';
import { auditVerifyCommand } from './audit.js';
import { backtestCommand } from './backtest.js';
import { chatCommand } from './chat.js';
import { reportFailure } from './errors.js';
import { importCommand } from './import.js';
import { mcpCommand } from './mcp.js';
import { optimizeCommand } from './optimize.js';
import { optimizePortfolioCommand } from './optimize-portfolio.js';
import { collectRole, principalAddCommand } from './principal.js';
import { decideCommand, proposalsCommand } from './proposals.js';
import { proposeCommand } from './propose.js';
import { rebalancePlanCommand } from './rebalance-plan.js';
import { RUN_OPTION_FLAGS } from './run-options.js';
import { screenCommand } from './screen.js';
import { serveCommand } from './serve.js';
import { tokenCreateCommand, tokenListCommand, tokenRevokeCommand } from './token.js';
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
  .command('optimize-portfolio')
  .description(
    'portfolio weights from price history: min_variance, max_sharpe, mean_variance, target_return, target_volatility, risk_parity, hrp, inverse_volatility, equal_weight',
  )
  .requiredOption('--symbols <list>', 'comma-separated tickers, or all (every symbol with prices)')
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
  .option('--current <weights>', 'the current portfolio for --max-turnover, e.g. AAPL=0.5,MSFT=0.5')
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

program
  .command('mcp')
  .description(
    'the MCP server on stdio for Claude Desktop, Cursor, VS Code and other MCP clients; tools only propose orders, a human approves them',
  )
  .option(
    '--as <principal>',
    'act as this principal (default local; it needs a command-line identity)',
  )
  .option(
    '--scopes <list>',
    'what the session may do: read, propose, approve (default all three: the OS user is authenticated as at the CLI); give read,propose to an autonomous agent so it can never approve',
    'read,propose,approve',
  )
  .action(mcpCommand);

program
  .command('chat')
  .description(
    'talk to the assistant: plain language (with a local Ollama model) or slash commands (/help); proposals wait for /approve typed here',
  )
  .option('--thread <name>', 'the thread to continue (default main); /new starts another')
  .option('--message <text>', 'answer this one message and exit (for scripts)')
  .option('--json', 'with --message: print one JSON object')
  .option('--as <principal>', 'chat as this principal (default local)')
  .action(chatCommand);

program
  .command('propose')
  .description(
    'propose one order (the propose_order tool); nothing is sent until a human approves it with countersign approve',
  )
  .requiredOption('--symbol <ticker>', 'the symbol, e.g. AAPL (must have imported prices)')
  .requiredOption('--side <side>', 'buy or sell')
  .requiredOption('--quantity <shares>', 'number of shares, > 0')
  .requiredOption('--rationale <text>', 'why, in a sentence; shown to the approver')
  .option('--account <id>', 'the account', 'paper')
  .option('--type <type>', 'market (default), limit or stop')
  .option('--limit-price <usd>', 'limit price (type limit)')
  .option('--stop-price <usd>', 'stop price (type stop)')
  .option('--tif <tif>', 'time in force: day (default), gtc, ioc, fok, opg or cls')
  .option('--strategy <label>', 'a strategy label for trade_stats, e.g. sma_cross')
  .option('--as <principal>', 'propose as this principal (default local)')
  .option('--json', 'print the tool result as one JSON object')
  .action(proposeCommand);

const principal = program
  .command('principal')
  .description('people who decide from this machine (a second approver for four-eyes)');
principal
  .command('add')
  .description(
    'add a principal with a command-line identity (or give an existing one one) and grant it roles on an account; it then decides with --as NAME',
  )
  .argument('<name>', 'the principal: 1-40 of a-z, 0-9, _ and -')
  .option(
    '--role <role>',
    'a role to grant: viewer, trader, approver or admin (repeat, or comma-separate)',
    collectRole,
  )
  .option('--account <id>', 'the account the roles are granted on', 'paper')
  .option('--json', 'print one JSON object')
  .action(principalAddCommand);

program
  .command('proposals')
  .description(
    'list proposals waiting for a decision (or --status approved|rejected|expired|submitted|all)',
  )
  .option(
    '--status <status>',
    'pending (default), approved, rejected, expired, submitted, failed, needs_attention or all',
  )
  .option('--account <id>', 'only this account')
  .option('--json', 'print one JSON object')
  .action(proposalsCommand);

program
  .command('approve')
  .description(
    'approve a proposal as the person at this terminal; when approvals are complete the orders are sent',
  )
  .argument('<id>', 'the proposal id (countersign proposals lists them)')
  .option('--as <principal>', 'decide as this principal (default local)')
  .option(
    '--hash <hash>',
    'the order hash you were shown (12 hex digits or all 64); the approval is refused unless the proposal still holds exactly that order',
  )
  .option('--yes', 'do not ask for confirmation on a terminal')
  .option('--json', 'print one JSON object')
  .action(decideCommand('approve'));

program
  .command('reject')
  .description('reject a proposal; nothing is sent')
  .argument('<id>', 'the proposal id')
  .requiredOption('--reason <text>', 'why (kept with the decision and in the audit log)')
  .option('--as <principal>', 'decide as this principal (default local)')
  .option('--yes', 'do not ask for confirmation on a terminal')
  .option('--json', 'print one JSON object')
  .action(decideCommand('reject'));

const accounts = program
  .command('accounts')
  .description(
    "list the accounts: kind, broker, four-eyes limit, and whether an MCP client's approval form may approve for each",
  )
  .option('--json', 'print one JSON object')
  .action(accountsListCommand);
accounts
  .command('set')
  .description('change an account setting (written to the audit log)')
  .argument('<id>', 'the account id')
  .option(
    '--allow-elicitation <on|off>',
    "whether an MCP client's approval form (the person types a code) may approve for this account",
  )
  .action(accountsSetCommand);

const audit = program.command('audit').description('the append-only, hash-chained audit log');
audit
  .command('verify')
  .description(
    'recompute the whole hash chain; exit 0 when intact, 1 naming the first broken link (seq and what is wrong)',
  )
  .option('--json', 'print one JSON object: ok, entries, first, last or broken_at, elapsed_ms')
  .action(auditVerifyCommand);

const token = program
  .command('token')
  .description(
    'API tokens for the REST API and MCP over HTTP (made here, or listed in API_TOKENS)',
  );
token
  .command('create')
  .description(
    'create a bearer token for a principal (created if new); the token is printed once, on the last line, and stored only as a SHA-256 hash',
  )
  .requiredOption('--principal <name>', 'who the token speaks for: 1-40 of a-z, 0-9, _ and -')
  .option('--role <role>', 'also grant this role on --account: viewer, trader, approver or admin')
  .option('--account <id>', 'the account --role is granted on', 'paper')
  .option(
    '--scopes <list>',
    "comma-separated read, propose, approve (default read). approve lets the token decide on proposals: only for a person's own client, never an autonomous agent",
    'read',
  )
  .option('--label <text>', 'a note to tell tokens apart, e.g. "laptop"')
  .action(tokenCreateCommand);
token
  .command('list')
  .description(
    'list API tokens: id, principal, scopes, label, created, last used, revoked (never a token or its hash); ids starting env- come from API_TOKENS',
  )
  .option('--principal <name>', "only this principal's tokens")
  .option('--json', 'print one JSON object: {tokens: [...]}')
  .action(tokenListCommand);
token
  .command('revoke')
  .description(
    'revoke an API token by id; requests with it get 401 at once (running servers hear of it through PostgreSQL NOTIFY within milliseconds). An env- token still in API_TOKENS is live again at the next server start',
  )
  .argument('<id>', 'the token id, as `countersign token list` shows it')
  .action(tokenRevokeCommand);

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
