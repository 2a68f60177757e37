/**
 * The slash commands: one table of aliases over the tool registry (`/quote` → get_quote, …),
 * plus every tool under its own name (`/run_backtest`), so every tool is reachable. An alias
 * names the positional arguments in order and may preset some (`/buy` sets side=buy). The
 * engine's own commands (approve, reject, new, help) are listed here too, for /help.
 */
import { TOOLS, toolByName } from '../../tools/index.js';
import type { Tool } from '../../tools/tool.js';
import { fieldsOf } from './fields.js';

export interface ToolCommand {
  kind: 'tool';
  /** The word after the slash. */
  name: string;
  tool: Tool;
  /** Field names the positional tokens fill, in order. */
  positional: readonly string[];
  /** Arguments set by the command itself (the typed ones win). */
  preset?: Readonly<Record<string, unknown>>;
  /** Required text fields the command fills when the person leaves them out (e.g. a rationale). */
  filled?: readonly string[];
  /** A text field that takes every positional word, joined: `/ask why did we sell NVDA?`. */
  rest?: string;
  /** A field whose id may name another kind of record: tried as each of `with`, in order, when not found. */
  alternate?: { field: string; with: readonly string[] };
  summary: string;
}

/** Commands the engine answers itself: deciding, threads, help. */
export interface EngineCommand {
  kind: 'engine';
  name: 'approve' | 'reject' | 'new' | 'help';
  usage: string;
  summary: string;
}

export type SlashCommand = ToolCommand | EngineCommand;

type Alias = Omit<ToolCommand, 'kind' | 'tool' | 'summary'> & { tool: string; summary?: string };

/** The short names people type. */
const ALIASES: readonly Alias[] = [
  { name: 'quote', tool: 'get_quote', positional: ['symbol'] },
  { name: 'bars', tool: 'get_bars', positional: ['symbol', 'start', 'end'] },
  { name: 'portfolio', tool: 'get_portfolio', positional: ['account'] },
  { name: 'orders', tool: 'list_orders', positional: ['account'] },
  { name: 'screen', tool: 'screen_stocks', positional: [] },
  { name: 'model', tool: 'model_status', positional: [] },
  { name: 'backtest', tool: 'run_backtest', positional: ['strategy', 'symbols', 'start', 'end'] },
  { name: 'tune', tool: 'optimize_strategy', positional: ['strategy', 'symbols'] },
  { name: 'optimize', tool: 'optimize_portfolio', positional: ['symbols', 'objective'] },
  { name: 'rebalance', tool: 'plan_rebalance', positional: [] },
  {
    name: 'explain',
    tool: 'explain_trade',
    positional: ['proposal_id'],
    alternate: { field: 'proposal_id', with: ['order_id', 'imported_trade_id'] },
    summary: 'Everything stored about one proposal, order or imported trade: /explain <its id>.',
  },
  { name: 'stats', tool: 'trade_stats', positional: ['account'] },
  {
    name: 'ask',
    tool: 'search_trade_history',
    positional: ['question'],
    rest: 'question',
    summary:
      'Search your own history (proposals, orders, notes, imported trades, backtests): /ask why did we sell NVDA?',
  },
  {
    name: 'note',
    tool: 'add_note',
    positional: ['text'],
    rest: 'text',
    summary: 'Add a journal note (it trades nothing): /note symbol=NVDA sold into earnings.',
  },
  {
    name: 'buy',
    tool: 'propose_order',
    positional: ['quantity', 'symbol'],
    preset: { side: 'buy' },
    filled: ['rationale'],
    summary: 'Propose buying shares (it waits for your approval): /buy 20 MSFT.',
  },
  {
    name: 'sell',
    tool: 'propose_order',
    positional: ['quantity', 'symbol'],
    preset: { side: 'sell' },
    filled: ['rationale'],
    summary: 'Propose selling shares (it waits for your approval): /sell 5 AAPL.',
  },
  {
    name: 'propose',
    tool: 'propose_order',
    positional: ['side', 'quantity', 'symbol'],
    filled: ['rationale'],
  },
  { name: 'cancel', tool: 'cancel_order', positional: ['order_id'], filled: ['rationale'] },
  { name: 'alert', tool: 'create_alert', positional: ['symbol', 'condition', 'value'] },
];

const ENGINE_COMMANDS: readonly EngineCommand[] = [
  {
    kind: 'engine',
    name: 'approve',
    usage: '/approve <proposal id> [hash]',
    summary:
      'Approve a pending proposal yourself (only a person typing in a signed-in channel can; the assistant cannot).',
  },
  {
    kind: 'engine',
    name: 'reject',
    usage: '/reject <proposal id> [reason…]',
    summary: 'Reject a pending proposal, with an optional reason.',
  },
  { kind: 'engine', name: 'new', usage: '/new [thread name]', summary: 'Start a new thread.' },
  {
    kind: 'engine',
    name: 'help',
    usage: '/help [command]',
    summary: 'List the commands, or show one command with every argument.',
  },
];

/** The first sentence of a description. */
function firstSentence(text: string): string {
  const match = /^(.+?\.)(\s|$)/.exec(text);
  return (match?.[1] ?? text).trim();
}

function toolCommand(alias: Alias): ToolCommand {
  const tool = toolByName(alias.tool);
  if (!tool) throw new Error(`slash alias /${alias.name} names no tool "${alias.tool}"`);
  const names = new Set(fieldsOf(tool).map((field) => field.name));
  for (const field of [...alias.positional, ...(alias.filled ?? [])])
    if (!names.has(field))
      throw new Error(`slash alias /${alias.name}: ${tool.name} has no ${field}`);
  const { tool: _name, summary, ...rest } = alias;
  return { kind: 'tool', ...rest, tool, summary: summary ?? firstSentence(tool.description) };
}

function build(): SlashCommand[] {
  const aliases = ALIASES.map(toolCommand);
  // Every tool under its own name too: its required fields are its positional arguments.
  const byName = TOOLS.map(
    (tool): ToolCommand => ({
      kind: 'tool',
      name: tool.name,
      tool,
      positional: fieldsOf(tool)
        .filter((field) => field.required)
        .map((field) => field.name),
      summary: firstSentence(tool.description),
    }),
  );
  return [...aliases, ...byName, ...ENGINE_COMMANDS];
}

/** Every slash command: the aliases first, then each tool by its name, then the engine's own. */
export const SLASH_COMMANDS: readonly SlashCommand[] = build();

/** A command by the word after the slash (case-insensitive; '-' and '_' alike), or undefined. */
export function commandByName(name: string): SlashCommand | undefined {
  const wanted = name.toLowerCase().replace(/-/g, '_');
  return SLASH_COMMANDS.find((command) => command.name === wanted);
}
