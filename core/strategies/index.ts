/** The strategy registry: every strategy by name. */
import { bollingerReversion } from './bollinger-reversion.js';
import { buyAndHold } from './buy-and-hold.js';
import { donchianBreakout } from './donchian-breakout.js';
import { emaCross } from './ema-cross.js';
import { macdTrend } from './macd-trend.js';
import { momentumRotation } from './momentum-rotation.js';
import { StrategyParamsError } from './params.js';
import { rsiReversion } from './rsi-reversion.js';
import { smaCross } from './sma-cross.js';
import type { Strategy } from './strategy.js';

/** Every strategy, in the order they are listed to users. */
export const STRATEGIES: readonly Strategy[] = [
  smaCross,
  emaCross,
  rsiReversion,
  macdTrend,
  bollingerReversion,
  donchianBreakout,
  momentumRotation,
  buyAndHold,
];

/** The strategy called `name`, or a StrategyParamsError listing the valid names. */
export function strategyByName(name: string): Strategy {
  const found = STRATEGIES.find((strategy) => strategy.name === name);
  if (!found) {
    const valid = STRATEGIES.map((strategy) => strategy.name).join(', ');
    throw new StrategyParamsError(`unknown strategy "${name}"; valid strategies: ${valid}`);
  }
  return found;
}
