/**
 * With no model, plain text still gets a useful answer: the slash commands closest to what was
 * typed, by word overlap with each command's name, its tool's name, title and description
 * (rarer words count more), and how to turn the model on.
 */
import { SLASH_COMMANDS, type ToolCommand } from './slash/commands.js';
import { usageLine } from './slash/help.js';

const STOP = new Set(
  'a an and are as at be by did do does for from had has have how i if in is it its me my of on or so that the this to was we what when which who why will with you your'.split(
    ' ',
  ),
);

/** Words of a text, lower-case, stop words out, crude plural/-ing stripping. */
function words(text: string): string[] {
  return (text.toLowerCase().match(/[a-z0-9]+/g) ?? [])
    .filter((word) => !STOP.has(word) && word.length > 1)
    .map((word) => word.replace(/(ing|es|s)$/, ''));
}

/** Words that mean a command even when its description does not say them. */
const HINTS: Record<string, string> = {
  quote: 'price worth cost trading now today last close',
  portfolio: 'worth holding position value equity cash balance own',
  backtest: 'backtest test history cross strategy since perform did return',
  buy: 'buy purchase long get acquire',
  sell: 'sell dump exit close reduce',
  screen: 'screen rank find best top momentum stock pick',
  optimize: 'optimize weight allocation portfolio frontier sharpe variance',
  rebalance: 'rebalance target weight drift',
  orders: 'order pending proposal open list status',
  explain: 'why explain happened reason trade',
  stats: 'stat win rate pnl profit loss performance',
  tune: 'tune parameter optimize search best setting',
  alert: 'alert notify cross level above below',
};

interface Entry {
  command: ToolCommand;
  words: Set<string>;
}

const ENTRIES: Entry[] = SLASH_COMMANDS.filter(
  (command): command is ToolCommand =>
    command.kind === 'tool' && command.name !== command.tool.name,
).map((command) => ({
  command,
  words: new Set(
    words(
      `${command.name} ${command.tool.name.replace(/_/g, ' ')} ${command.tool.title} ${command.summary} ${HINTS[command.name] ?? ''}`,
    ),
  ),
}));

const frequency = new Map<string, number>();
for (const entry of ENTRIES)
  for (const word of entry.words) frequency.set(word, (frequency.get(word) ?? 0) + 1);

/** The `count` commands closest to `text`, best first (ties in table order); never empty. */
export function closestCommands(text: string, count = 3): ToolCommand[] {
  const typed = new Set(words(text));
  const scored = ENTRIES.map((entry, order) => {
    let score = 0;
    for (const word of typed)
      if (entry.words.has(word)) score += 1 / (frequency.get(word) as number);
    return { entry, order, score };
  });
  scored.sort((a, b) => b.score - a.score || a.order - b.order);
  return scored.slice(0, count).map((one) => one.entry.command);
}

/** The answer to plain text when no model can answer it. */
export function fallbackAnswer(text: string, why: string): string {
  const closest = closestCommands(text);
  return [
    `The assistant's model is not available (${why}), so plain sentences cannot be answered yet; slash commands work without it. Closest to what you typed:`,
    ...closest.map((command) => `  ${usageLine(command)} — ${command.summary}`),
    'Type /help for every command. To turn the model on: install Ollama (https://ollama.com), run `ollama pull qwen3:8b`, and start Countersign with OLLAMA_HOST=http://127.0.0.1:11434 (and OLLAMA_MODEL to pick another model).',
  ].join('\n');
}
