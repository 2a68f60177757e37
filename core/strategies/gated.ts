/**
 * A strategy that trades only on allowed days ("only trade sma_cross in calm-up regimes"): a
 * per-symbol strategy's entry signals on other days become the exit of the position its signals
 * last opened (so a position is closed when the day stops being allowed, and nothing is entered
 * until an entry signal falls on an allowed day); a cross-sectional strategy's targets decided on
 * other days are all zero (in cash until a rebalance day is allowed again). Pure: the caller says
 * which dates are allowed.
 */
import { SIGNAL, type Strategy } from './strategy.js';

export function gateStrategy(strategy: Strategy, allowed: (date: string) => boolean): Strategy {
  if (strategy.kind === 'per_symbol') {
    return {
      ...strategy,
      signals(view, params) {
        const inner = strategy.signals(view, params);
        const out = new Int8Array(inner.length);
        let side = 0;
        for (let i = 0; i < inner.length; i++) {
          const code = inner[i] as number;
          if (code === SIGNAL.LONG || code === SIGNAL.SHORT) side = code;
          else if (
            (code === SIGNAL.EXIT_LONG && side === SIGNAL.LONG) ||
            (code === SIGNAL.EXIT_SHORT && side === SIGNAL.SHORT)
          )
            side = 0;
          if (allowed(view.dates[i] as string)) out[i] = code;
          else
            out[i] =
              side === SIGNAL.LONG
                ? SIGNAL.EXIT_LONG
                : side === SIGNAL.SHORT
                  ? SIGNAL.EXIT_SHORT
                  : SIGNAL.NONE;
        }
        return out;
      },
    };
  }
  return {
    ...strategy,
    targets(panel, params) {
      const inner = strategy.targets(panel, params);
      return {
        days: inner.days,
        weights: inner.weights.map((weights, k) =>
          allowed(panel.dates[inner.days[k] as number] as string)
            ? weights
            : new Float64Array(weights.length),
        ),
      };
    },
  };
}
