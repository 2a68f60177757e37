/** The engine's tight loop for one symbol with market entries and no protective exits. */
import { type BarView, executionPrices } from '../series/price-series.js';
import type { EngineConfig } from './config.js';
import { decide, ENTER_LONG, ENTER_SHORT, EXIT } from './decide.js';
import type { Ledger } from './ledger.js';

/**
 * Same rules and the same Ledger as the general calendar loop (a test runs both on the same
 * inputs and compares every fill), minus the bookkeeping for several symbols, pending limit/stop
 * orders and stops, so that the per-bar cost is a few arithmetic operations. Optimization grids
 * run thousands of these.
 */
export function simulateSingle(
  ledger: Ledger,
  view: BarView,
  signals: Int8Array,
  config: EngineConfig,
  equity: Float64Array,
  exposure: Float64Array,
): void {
  const n = view.close.length;
  // Fills and marks at the traded prices; signals came from the view's own (maybe adjusted) prices.
  const { open, close } = executionPrices(view);
  const actions = view.traded;
  const longShort = config.direction === 'long_short';
  const atClose = config.fill === 'close';
  const S = ledger.scale;
  let held = 0;
  let cash = ledger.cash / S;
  let pendExit = false;
  let pendEnter = 0;

  const enter = (i: number, ticks: number, direction: 1 | -1) => {
    const before = i > 0 ? (equity[i - 1] as number) : config.cash;
    ledger.open(
      0,
      i,
      ticks,
      direction,
      ledger.budget(before, () => 0),
    );
  };

  for (let i = 0; i < n; i++) {
    if (actions && held !== 0 && (actions.split[i] !== 1 || actions.dividend[i] !== 0)) {
      ledger.corporateAction(
        0,
        actions.split[i] as number,
        actions.dividend[i] as number,
        close[i - 1] as number,
      );
      held = ledger.shares[0] as number;
      cash = ledger.cash / S;
    }
    if (pendExit || pendEnter !== 0) {
      const ticks = ledger.ticks(open[i] as number);
      if (pendExit && held !== 0) ledger.close(0, i, ticks, 'signal', Math.abs(held));
      if (pendEnter !== 0) enter(i, ticks, pendEnter as 1 | -1);
      pendExit = false;
      pendEnter = 0;
      held = ledger.shares[0] as number;
      cash = ledger.cash / S;
    }
    const code = signals[i] as number;
    if (code !== 0) {
      const action = decide(code, held, longShort);
      if (action !== 0) {
        const direction = action & ENTER_LONG ? 1 : action & ENTER_SHORT ? -1 : 0;
        if (atClose) {
          const ticks = ledger.ticks(close[i] as number);
          if (action & EXIT) ledger.close(0, i, ticks, 'signal', Math.abs(held));
          if (direction !== 0) enter(i, ticks, direction);
          held = ledger.shares[0] as number;
          cash = ledger.cash / S;
        } else {
          pendExit = (action & EXIT) !== 0;
          pendEnter = direction;
        }
      }
    }
    const worth = held * (close[i] as number);
    const total = cash + worth;
    equity[i] = total;
    exposure[i] = total > 0 ? Math.abs(worth) / total : 0;
  }
}
