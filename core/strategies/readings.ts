/**
 * What a strategy saw on one bar: its indicator values and the signal it gave there, for
 * explaining a trade ("sma_cross bought because SMA10 168.2 crossed above SMA50 165.9"). The
 * values are computed by the same indicator kernels the strategies use, on the bars up to and
 * including that bar (nothing after it).
 */
import { bollinger, donchian, ema, macd, rsi, sma } from '../indicators/index.js';
import type { BarView } from '../series/price-series.js';
import { SIGNAL, type Strategy, type StrategyParams } from './strategy.js';

export interface StrategyReading {
  /** Indicator values on the bar (null during warm-up). */
  values: Record<string, number | null>;
  /** The strategy's signal on the bar, in words. */
  signal: 'buy' | 'sell' | 'exit_long' | 'exit_short' | 'none' | 'ranked';
}

const at = (series: Float64Array, t: number): number | null => {
  const value = series[t];
  return value === undefined || Number.isNaN(value) ? null : value;
};

const SIGNAL_WORDS: Record<number, StrategyReading['signal']> = {
  // Go long (covering a short); go short, which in a long-only run exits the long.
  [SIGNAL.LONG]: 'buy',
  [SIGNAL.SHORT]: 'sell',
  [SIGNAL.EXIT_LONG]: 'exit_long',
  [SIGNAL.EXIT_SHORT]: 'exit_short',
  [SIGNAL.NONE]: 'none',
};

/** Indicator values by strategy name, on bar t of the view. */
function values(
  name: string,
  view: BarView,
  p: StrategyParams,
  t: number,
): Record<string, number | null> {
  const close = view.close;
  switch (name) {
    case 'sma_cross':
      return {
        close: at(close, t),
        [`sma_${p.fast}`]: at(sma(close, p.fast as number), t),
        [`sma_${p.slow}`]: at(sma(close, p.slow as number), t),
      };
    case 'ema_cross':
      return {
        close: at(close, t),
        [`ema_${p.fast}`]: at(ema(close, p.fast as number), t),
        [`ema_${p.slow}`]: at(ema(close, p.slow as number), t),
      };
    case 'macd_trend': {
      const lines = macd(close, p.fast, p.slow, p.signal);
      return {
        close: at(close, t),
        macd: at(lines.macd, t),
        macd_signal: at(lines.signal, t),
        histogram: at(lines.histogram, t),
      };
    }
    case 'rsi_reversion':
      return {
        close: at(close, t),
        [`rsi_${p.period}`]: at(rsi(close, p.period), t),
        lower: p.lower ?? null,
        upper: p.upper ?? null,
      };
    case 'bollinger_reversion': {
      const bands = bollinger(close, p.period, p.k);
      return {
        close: at(close, t),
        middle: at(bands.middle, t),
        upper: at(bands.upper, t),
        lower: at(bands.lower, t),
      };
    }
    case 'donchian_breakout': {
      // The strategy compares today's close with yesterday's channels.
      const entry = donchian(view.high, view.low, p.entry as number);
      const exit = donchian(view.high, view.low, p.exit as number);
      return {
        close: at(close, t),
        entry_upper: t > 0 ? at(entry.upper, t - 1) : null,
        entry_lower: t > 0 ? at(entry.lower, t - 1) : null,
        exit_lower: t > 0 ? at(exit.lower, t - 1) : null,
      };
    }
    case 'momentum_rotation': {
      const lookback = p.lookback as number;
      const adj = view.adjClose;
      return {
        close: at(close, t),
        [`return_${lookback}d`]:
          t >= lookback ? (adj[t] as number) / (adj[t - lookback] as number) - 1 : null,
      };
    }
    default:
      return { close: at(close, t) };
  }
}

/**
 * The reading of `strategy` (with validated `params`) on bar t of `view`. A cross-sectional
 * strategy's signal depends on the other symbols: its reading says 'ranked' and gives this
 * symbol's own score.
 */
export function strategyReading(
  strategy: Strategy,
  view: BarView,
  params: StrategyParams,
  t: number,
): StrategyReading {
  const signal =
    strategy.kind === 'per_symbol'
      ? (SIGNAL_WORDS[strategy.signals(view, params)[t] ?? 0] ?? 'none')
      : 'ranked';
  return { values: values(strategy.name, view, params, t), signal };
}
