/** Drawdowns of an equity curve: the deepest fall with its dates, and the curve below the running peak. */

import { daysBetween } from './day-number.js';
import type { Drawdown } from './metrics.js';

/** Margin of the pre-filter in `scanDrawdown`, as a fraction of the peak. */
const SLACK = 1e-12;

/** The deepest fractional drawdown as bar indices, plus the largest fall in currency. */
export interface DrawdownScan {
  /** Deepest fall below the running peak, as a positive fraction: max over bars of 1 − equity / peak. */
  depth: number;
  peakIndex: number;
  troughIndex: number;
  /** First bar at or above that peak again after the trough; −1 when equity never got back. */
  recoveryIndex: number;
  /**
   * Largest fall in currency, max over bars of peak − equity. It can belong to a different
   * episode than `depth`: after equity has grown, a shallower fall can cost more money.
   */
  largestFall: number;
}

/**
 * Finds the deepest drawdown in one pass. Conventions: getting back to exactly the peak counts
 * as recovery; the peak is the last bar at the running high before the fall; of two equally deep
 * drawdowns the first is kept. Expects equity[0] > 0 (the running peak is then always positive).
 */
export function scanDrawdown(equity: Float64Array): DrawdownScan {
  let peak = equity[0] as number;
  let peakIndex = 0;
  let depth = 0;
  let deepestPeak = 0;
  let troughIndex = 0;
  let recoveryIndex = 0;
  let largestFall = 0;
  // Only a value below `floor` can deepen the drawdown, so the division that measures the depth
  // runs on few bars (it cost a quarter of the pass). The floor sits SLACK × peak above the exact
  // level, far more than rounding can move it, so the exact test below still decides every case.
  let floor = peak * (1 + SLACK);
  for (let i = 1; i < equity.length; i++) {
    const value = equity[i] as number;
    if (value >= peak) {
      // While the deepest drawdown is open, the running peak is still its peak, so the first
      // bar back at that level is its recovery.
      if (recoveryIndex < 0) recoveryIndex = i;
      peak = value;
      peakIndex = i;
      floor = peak * (1 - depth + SLACK);
      continue;
    }
    const fall = peak - value;
    if (fall > largestFall) largestFall = fall;
    if (value < floor) {
      const below = fall / peak;
      if (below > depth) {
        depth = below;
        deepestPeak = peakIndex;
        troughIndex = i;
        recoveryIndex = -1;
        floor = peak * (1 - depth + SLACK);
      }
    }
  }
  if (depth === 0) return { depth, peakIndex: 0, troughIndex: 0, recoveryIndex: 0, largestFall };
  return { depth, peakIndex: deepestPeak, troughIndex, recoveryIndex, largestFall };
}

/**
 * The max drawdown figure: depth = max over bars of (1 − equity / running peak), with the dates
 * of its peak, trough and recovery. Duration runs from the peak to the recovery, or to the last
 * bar when equity never recovered, in bars and in calendar days. A curve that never fell reports
 * depth 0 with peak, trough and recovery all on the first date and zero duration.
 */
export function maxDrawdown(dates: readonly string[], scan: DrawdownScan): Drawdown {
  const peakDate = dates[scan.peakIndex] as string;
  const endIndex = scan.recoveryIndex < 0 ? dates.length - 1 : scan.recoveryIndex;
  return {
    depth: scan.depth,
    peakDate,
    troughDate: dates[scan.troughIndex] as string,
    recoveryDate: scan.recoveryIndex < 0 ? null : (dates[scan.recoveryIndex] as string),
    durationBars: endIndex - scan.peakIndex,
    durationDays: daysBetween(peakDate, dates[endIndex] as string),
  };
}

/**
 * The drawdown at every bar as equity / running peak − 1: 0 at a new high, negative below it
 * (−0.25 = 25 % under the peak). Negative so the curve plots under the axis; `Drawdown.depth`
 * is the same fall reported as a positive number.
 */
export function drawdownCurve(equity: Float64Array): Float64Array {
  const curve = new Float64Array(equity.length);
  let peak = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < equity.length; i++) {
    const value = equity[i] as number;
    if (value >= peak) {
      peak = value;
      continue;
    }
    // A peak that is not positive leaves no fraction to report (equity[0] should be capital > 0).
    if (peak > 0) curve[i] = value / peak - 1;
  }
  return curve;
}
