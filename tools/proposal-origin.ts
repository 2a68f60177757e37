/**
 * What led to a proposal, as its proposer states it: the parameters of the strategy it follows
 * and the screen that picked the symbol. Stored with the proposal (not hashed: like the
 * rationale it describes the order, it is not what is sent), shown by explain_trade.
 */
import { z } from 'zod';
import { FACTOR_NAMES } from '../core/screening/index.js';
import { STRATEGIES, strategyByName } from '../core/strategies/index.js';
import { parseStrategyParams, StrategyParamsError } from '../core/strategies/params.js';
import type { ProposalOrigin } from '../orders/types.js';
import { isoDate, ToolError } from './tool.js';

export const originFields = {
  strategy_params: z
    .record(z.string(), z.number())
    .optional()
    .describe('Parameters of the built-in strategy named in strategy, e.g. {"fast":10,"slow":50}'),
  screen: z
    .object({
      as_of: isoDate().describe('Date of the screen, YYYY-MM-DD'),
      weights: z
        .record(z.string(), z.number())
        .optional()
        .describe('Its factor weights, if not the defaults'),
    })
    .optional()
    .describe('The screen_stocks run that picked this symbol, if one did'),
};

/** The origin to store, validated (a bad parameter or factor is named with what is valid). */
export function proposalOrigin(input: {
  strategy?: string;
  strategy_params?: Record<string, number>;
  screen?: { as_of: string; weights?: Record<string, number> };
}): ProposalOrigin | undefined {
  const origin: ProposalOrigin = {};
  if (input.strategy_params !== undefined) {
    const names = STRATEGIES.map((s) => s.name);
    if (input.strategy === undefined || !names.includes(input.strategy))
      throw new ToolError(
        `strategy_params need strategy set to a built-in strategy (${names.join(', ')}); got ${input.strategy === undefined ? 'no strategy' : JSON.stringify(input.strategy)}`,
        'bad_input',
      );
    try {
      origin.strategy_params = parseStrategyParams(
        strategyByName(input.strategy),
        input.strategy_params,
      );
    } catch (error) {
      if (error instanceof StrategyParamsError) throw new ToolError(error.message, 'bad_input');
      throw error;
    }
  }
  if (input.screen !== undefined) {
    const unknown = Object.keys(input.screen.weights ?? {}).filter(
      (name) => !(FACTOR_NAMES as readonly string[]).includes(name),
    );
    if (unknown.length > 0)
      throw new ToolError(
        `screen.weights: unknown factor ${unknown.join(', ')}; factors are ${FACTOR_NAMES.join(', ')}`,
        'bad_input',
      );
    origin.screen = {
      as_of: input.screen.as_of,
      ...(input.screen.weights ? { weights: input.screen.weights } : {}),
    };
  }
  return Object.keys(origin).length === 0 ? undefined : origin;
}
