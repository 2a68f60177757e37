/** What a strategy is: parameters with declared search ranges, and signals computed from bars. */
import type { z } from 'zod';
import type { ParamSpec } from '../optimize/param-space.js';
import type { Panel } from '../series/panel.js';
import type { BarView } from '../series/price-series.js';

/** Strategy parameters: every one is a number (flat, so that small models and CLIs can set them). */
export type StrategyParams = Record<string, number>;

/**
 * Per-bar signal codes, decided on that bar's close. The engine turns them into orders; what a
 * code does depends on the run's direction setting:
 *  1  go long (long-only: enter if flat; long/short: also covers a short)
 * −1  go short (long-only: exit a long; long/short: also exits a long)
 *  2  exit a long, if any
 * −2  cover a short, if any
 *  0  nothing
 */
export const SIGNAL = { LONG: 1, SHORT: -1, EXIT_LONG: 2, EXIT_SHORT: -2, NONE: 0 } as const;

/** Target weights decided on given calendar days (cross-sectional strategies). */
export interface WeightTargets {
  /** Calendar indexes (into panel.dates) of the days the targets were decided on. */
  days: number[];
  /** weights[k][j]: the target weight of symbol j decided on days[k] (they sum to ≤ 1). */
  weights: Float64Array[];
}

/**
 * The history a strategy needs, with given parameters, before it can signal at all: on fewer bars
 * its slowest indicator has no value (or no earlier value to cross), so a backtest cannot trade.
 */
export interface HistoryNeed {
  /**
   * The fewest bars on which an entry (a long or short signal) is possible, on the last of them at
   * the earliest. An exit may come sooner, but with nothing held it trades nothing.
   */
  bars: number;
  /** The parameters that set it, as a request writes them: "slow=50". */
  params: string;
  /** Why that many, in words: "the slow average takes 50 bars and a cross one more". */
  because: string;
}

interface StrategyBase<P extends StrategyParams> {
  name: string;
  title: string;
  /** What it does and when a trader would use it; shown by tools and the CLI. */
  description: string;
  /** Validates and fills defaults; strict, so an unknown parameter is an error. */
  schema: z.ZodType<P>;
  /** Declared search ranges for optimization. */
  space: ParamSpec[];
  /** False for parameter sets that make no sense (fast ≥ slow); used to prune search grids. */
  accept: (params: StrategyParams) => boolean;
  /** The bars it needs before its first possible signal (see HistoryNeed). */
  history(params: P): HistoryNeed;
}

/** A strategy that decides each symbol from its own bars. The same code drives paper and live. */
export interface SymbolStrategy<P extends StrategyParams = StrategyParams> extends StrategyBase<P> {
  kind: 'per_symbol';
  /** One signal code per bar of `view` (see SIGNAL). */
  signals(view: BarView, params: P): Int8Array;
}

/** A strategy that ranks symbols against each other and sets portfolio weights. */
export interface PortfolioStrategy<P extends StrategyParams = StrategyParams>
  extends StrategyBase<P> {
  kind: 'cross_sectional';
  targets(panel: Panel, params: P): WeightTargets;
}

/** Any strategy. */
export type Strategy = SymbolStrategy | PortfolioStrategy;
