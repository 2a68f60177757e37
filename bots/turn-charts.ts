/**
 * The charts a chat channel attaches to a turn: for each successful run_backtest (its stored run,
 * read back, since a summary result has no curve) and optimize_portfolio result, the PNGs of
 * bots/charts. A chart that cannot be drawn is left out; this never throws.
 */
import type { ChatEvent } from '../agents/events.js';
import type { Logger } from '../config/logger.js';
import type { Pool } from '../store/db/pool.js';
import { readBacktest } from '../tools/run-backtest.js';
import type { ToolPrincipal } from '../tools/tool.js';
import { chartsFor } from './charts/from-results.js';

export type TurnChart = ReturnType<typeof chartsFor>[number];

/** At most this many images per turn. */
const MAX_CHARTS = 4;

export async function chartsOfTurn(
  pool: Pool,
  principal: ToolPrincipal,
  results: Extract<ChatEvent, { type: 'tool_result' }>[],
  logger: Logger,
): Promise<TurnChart[]> {
  const charts: TurnChart[] = [];
  for (const result of results) {
    if (!result.ok || !result.output || charts.length >= MAX_CHARTS) continue;
    try {
      let output = result.output;
      if (result.tool === 'run_backtest' && typeof output.id === 'string' && !output.curve) {
        const stored = await readBacktest(pool, principal, output.id);
        if (stored.ok) output = stored.output;
      }
      charts.push(...chartsFor(result.tool, output));
    } catch (error) {
      logger.warn({ err: error, tool: result.tool }, 'bots: a chart could not be drawn');
    }
  }
  return charts.slice(0, MAX_CHARTS);
}
