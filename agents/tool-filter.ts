/**
 * Which tools one model call is sent: small local models choose better among few tools, and
 * every tool's schema costs context. The tools whose words best match the turn (name, title,
 * description, and hint words), plus those already used in the turn, at most `limit`.
 */
import { TOOLS } from '../tools/index.js';
import type { Tool } from '../tools/tool.js';

/** Tools sent on every call, whatever was asked: the cheapest ways to look something up. */
const ALWAYS = ['get_quote', 'get_portfolio'];

const HINTS: Record<string, string> = {
  get_quote: 'price quote worth trading now today close last cost',
  get_bars: 'bars history chart prices daily high low volume',
  get_portfolio: 'portfolio worth holdings positions value equity cash balance own holding',
  list_orders: 'orders proposals pending open status list recent',
  screen_stocks: 'screen rank best top momentum find stocks picks cheap sector',
  model_status: 'model live learned screening good accuracy drift version promoted regime',
  run_backtest: 'backtest test cross strategy since did perform history return sma ema rsi macd',
  optimize_strategy: 'tune parameters optimize strategy best settings search',
  optimize_portfolio: 'optimize portfolio weights allocation frontier sharpe variance diversify',
  plan_rebalance: 'rebalance targets weights drift plan',
  explain_trade: 'explain why trade reason happened approval fill',
  trade_stats: 'stats win rate profit loss performance pnl closed trades',
  propose_order: 'buy sell order purchase shares trade place',
  propose_rebalance: 'rebalance basket orders propose several',
  cancel_order: 'cancel order stop working',
  create_alert: 'alert notify tell me when above below crosses level',
};

function words(text: string): Set<string> {
  return new Set(
    (text.toLowerCase().match(/[a-z0-9]+/g) ?? [])
      .filter((word) => word.length > 2)
      .map((word) => word.replace(/(ing|es|s)$/, '')),
  );
}

const INDEX = TOOLS.map((tool) => ({
  tool,
  words: words(
    `${tool.name.replace(/_/g, ' ')} ${tool.title} ${HINTS[tool.name] ?? ''} ${tool.description}`,
  ),
  hint: words(`${tool.name.replace(/_/g, ' ')} ${HINTS[tool.name] ?? ''}`),
}));

/** The tools for a model call about `text`, keeping `used` ones; at most `limit`. */
export function selectTools(text: string, used: readonly string[] = [], limit = 8): Tool[] {
  const typed = words(text);
  const scored = INDEX.map((entry, order) => {
    let score = 0;
    for (const word of typed) {
      if (entry.hint.has(word)) score += 3;
      else if (entry.words.has(word)) score += 1;
    }
    if (used.includes(entry.tool.name)) score += 100;
    if (ALWAYS.includes(entry.tool.name)) score += 0.5;
    return { tool: entry.tool, score, order };
  });
  scored.sort((a, b) => b.score - a.score || a.order - b.order);
  return scored.slice(0, limit).map((one) => one.tool);
}
