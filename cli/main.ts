/** The `countersign` command line: parses arguments and runs one command. */
import { Command, InvalidArgumentError } from 'commander';
import { APP_VERSION } from '../config/app-info.js';
import { accountsListCommand, accountsSetCommand } from './accounts.js';
import { auditVerifyCommand } from './audit.js';
import { chatCommand } from './chat.js';
import { reportFailure } from './errors.js';
import { importCommand } from './import.js';
import { importTradesCommand, usageExit } from './import-trades.js';
import { linkCommand } from './link.js';
import { mcpCommand } from './mcp.js';
import {
  modelsDriftCommand,
  modelsListCommand,
  modelsPromoteCommand,
  modelsRetireCommand,
  modelsTrainCommand,
} from './models.js';
import { collectTag, notesAddCommand } from './notes.js';
import { collectRole, principalAddCommand, principalQuietCommand } from './principal.js';
import { decideCommand, proposalsCommand } from './proposals.js';
import { proposeCommand } from './propose.js';
import { ragReindexCommand } from './rag.js';
import { addResearchCommands } from './research-commands.js';
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

program
  .command('import-trades')
  .description(
    'import past trades from another platform (CSV: date, symbol, side, quantity, price; fees, strategy, note, id optional); a file with any bad row is refused whole, importing it again changes nothing',
  )
  .argument(
    '<files...>',
    'trades CSV files (plain or .gz); broker headers such as Trade Date, Ticker, Action or Buy/Sell, Qty and Commission are understood',
  )
  .option('--account <id>', 'the account the trades belong to', 'paper')
  .option('--json', 'print the summary as one JSON object')
  .exitOverride(usageExit)
  .action(importTradesCommand);

addResearchCommands(program);

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

const notes = program.command('notes').description("the trader's journal: notes retrieval cites");
notes
  .command('add')
  .description(
    'add a journal note about a symbol, a proposal or an order (the add_note tool; it trades nothing)',
  )
  .argument('<text>', 'the note, in quotes')
  .option('--symbol <ticker>', 'the symbol it is about')
  .option('--proposal <id>', 'the proposal it is about')
  .option('--order <id>', 'the order it is about')
  .option('--tag <tag>', 'a tag (repeat for more)', collectTag)
  .option('--as <principal>', 'write as this principal (default local)')
  .option('--json', 'print the tool result as one JSON object')
  .action(notesAddCommand);

const rag = program
  .command('rag')
  .description('retrieval over the trade history (search_trade_history)');
rag
  .command('reindex')
  .description(
    'rebuild every passage from the database, with progress; indexing twice adds nothing',
  )
  .option('--fresh', 'drop every passage (and vector) first')
  .option('--json', 'print one JSON object')
  .action(ragReindexCommand);

program
  .command('link')
  .description(
    'link a Telegram or Slack identity to a principal: print a one-time code (10 minutes) to send as /link CODE, list links, or revoke one',
  )
  .option('--principal <name>', 'print a one-time link code for this principal')
  .option('--list', 'list chat links (live and revoked)')
  .option(
    '--revoke <id>',
    'revoke a link: its id from --list, or telegram:USER_ID / slack:TEAM:USER',
  )
  .option('--json', 'print one JSON object')
  .action(linkCommand);

const models = program
  .command('models')
  .description('the learned screening model: train it, list versions, promote or retire one');
models
  .command('train')
  .description(
    'train on the database prices (or --data DIR), report the walk-forward figures beside 12-1 momentum, save as staging',
  )
  .option('--data <dir>', 'train on SYMBOL.csv(.gz) files in this folder instead')
  .option(
    '--retrain',
    "a new version of the live model on today's prices, with its hyper-parameters (after drift)",
  )
  .option('--json', 'print one JSON object')
  .action(modelsTrainCommand);
models
  .command('list')
  .description('every model version with its status and out-of-sample figures')
  .option('--json', 'print one JSON object')
  .action(modelsListCommand);
models
  .command('promote')
  .description('make a version the production one (only if it beat momentum out of sample)')
  .argument('<name>', 'the model, e.g. screen')
  .option('--model-version <n>', 'the version (default: the latest)')
  .option('--as <principal>', 'who promotes it (recorded in the audit log)')
  .action(modelsPromoteCommand);
models
  .command('drift')
  .description(
    'per-feature drift (PSI, Kolmogorov-Smirnov) of the model against the prices after its training window',
  )
  .argument('[name]', 'the model (default screen)')
  .option('--model-version <n>', 'the version (default: the latest)')
  .option('--json', 'print one JSON object')
  .action(modelsDriftCommand);
models
  .command('retire')
  .description('take a version out of service')
  .argument('<name>', 'the model, e.g. screen')
  .option('--model-version <n>', 'the version (default: the latest)')
  .option('--as <principal>', 'who retires it (recorded in the audit log)')
  .action(modelsRetireCommand);

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
principal
  .command('quiet')
  .description('quiet hours (UTC) for a principal: alerts that fire then are sent when they end')
  .argument('<name>', 'the principal')
  .option('--from <hour>', 'start of quiet hours, 0-23 (UTC)')
  .option('--to <hour>', 'end of quiet hours, 0-23 (UTC); may be earlier than --from (22 to 7)')
  .option('--off', 'no quiet hours')
  .option('--json', 'print one JSON object')
  .action(principalQuietCommand);

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
