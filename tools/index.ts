/** The tool registry: every platform action once, in the order clients list them. */
import { addNote } from './add-note.js';
import { cancelOrder } from './cancel-order.js';
import { createAlert } from './create-alert.js';
import { explainTrade } from './explain-trade.js';
import { getBars } from './get-bars.js';
import { getPortfolio } from './get-portfolio.js';
import { getQuote } from './get-quote.js';
import { listOrders } from './list-orders.js';
import { modelStatus } from './model-status.js';
import { optimizePortfolioTool } from './optimize-portfolio.js';
import { optimizeStrategyTool } from './optimize-strategy.js';
import { planRebalanceTool } from './plan-rebalance.js';
import { proposeOrder } from './propose-order.js';
import { proposeRebalance } from './propose-rebalance.js';
import { runBacktestTool } from './run-backtest.js';
import { screenStocksTool } from './screen-stocks.js';
import { searchTradeHistory } from './search-trade-history.js';
import type { Tool } from './tool.js';
import { tradeStats } from './trade-stats.js';

/** Every tool. `writes` tools only propose; nothing here approves. */
export const TOOLS: readonly Tool[] = [
  getQuote,
  getBars,
  getPortfolio,
  listOrders,
  screenStocksTool,
  modelStatus,
  runBacktestTool,
  optimizeStrategyTool,
  optimizePortfolioTool,
  planRebalanceTool,
  explainTrade,
  tradeStats,
  searchTradeHistory,
  proposeOrder,
  proposeRebalance,
  cancelOrder,
  createAlert,
  addNote,
] as unknown as readonly Tool[];

/** A tool by name, or undefined. */
export function toolByName(name: string): Tool | undefined {
  return TOOLS.find((tool) => tool.name === name);
}
