/** The objective plug-in interface: one figure of a backtest to maximise or minimise. */
import type { Metrics } from '../../metrics/metrics.js';

/** Which way is better for an objective. */
export type Direction = 'maximize' | 'minimize';

/** One thing an optimisation can aim for, read from a backtest's metrics. */
export interface Objective {
  /** The CLI and API name, snake_case. */
  name: string;
  /** One line for help text. */
  description: string;
  direction: Direction;
  /** The figure for this run; null when it is undefined (no trades, zero volatility…). */
  value(metrics: Metrics): number | null;
}

/**
 * A raw objective value turned "higher is better": negated when the objective is minimised.
 * Null, NaN and ±Infinity give null, which every ranking treats as worst.
 */
export function orientedScore(direction: Direction, value: number | null): number | null {
  if (value === null || !Number.isFinite(value)) return null;
  return direction === 'maximize' ? value : -value;
}

/**
 * Compares two raw values of one objective for sorting best first: negative when `a` is better.
 * Null is always worse than any number; two nulls tie.
 */
export function compareValues(direction: Direction, a: number | null, b: number | null): number {
  const sa = orientedScore(direction, a);
  const sb = orientedScore(direction, b);
  if (sa === null) return sb === null ? 0 : 1;
  if (sb === null) return -1;
  return sb - sa;
}
