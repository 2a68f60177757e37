/** Walk-forward analysis: the in-sample/out-of-sample windows, and the summary of their results. */
import type { Metrics } from '../metrics/metrics.js';
import type { Direction } from './objectives/objective.js';
import type { Params } from './param-space.js';

/** A half-open range of bar indices: `start` included, `end` excluded (as Array.slice). */
export interface BarRange {
  start: number;
  end: number;
}

/** One fold: optimise on `inSample`, then trade the winner untouched on `outOfSample`. */
export interface WalkForwardWindow {
  /** 0-based, oldest first. */
  fold: number;
  inSample: BarRange;
  outOfSample: BarRange;
}

/** How to cut the bars. */
export interface WalkForwardOptions {
  /** In-sample share of one in-sample + out-of-sample window, in (0, 1). Default 0.7. */
  inSampleFraction?: number;
  /** In-sample length in bars; overrides inSampleFraction. */
  inSampleBars?: number;
  /** Anchored: every in-sample window starts at bar 0 and grows. Default false (rolling). */
  anchored?: boolean;
  /** The fewest bars a window may have. Default 20 (about a trading month). */
  minWindowBars?: number;
}

/**
 * Cuts `barCount` bars into `folds` walk-forward windows. The out-of-sample windows are equal,
 * contiguous and never overlap; together they end at the last bar. Each in-sample window ends
 * where its out-of-sample window starts, so no fold ever optimises on bars it is tested on.
 *
 * Rolling (default): every in-sample window has the same length and slides forward one
 * out-of-sample length per fold; with a fraction f, the in-sample length is f/(1−f) out-of-sample
 * lengths, so bars = IS + folds·OOS. Bars the division leaves over are dropped from the start
 * (the oldest data matters least). Anchored: in-sample windows all start at bar 0, so later folds
 * learn from more history; the first has the rolling length plus the leftover bars.
 */
export function walkForwardWindows(
  barCount: number,
  folds: number,
  options: WalkForwardOptions = {},
): WalkForwardWindow[] {
  const { anchored = false, minWindowBars = 20 } = options;
  if (!(Number.isSafeInteger(barCount) && barCount >= 0)) {
    throw new RangeError(`walk-forward barCount ${barCount} must be a whole number >= 0`);
  }
  if (!(Number.isSafeInteger(folds) && folds >= 1)) {
    throw new RangeError(`walk-forward folds ${folds} must be a whole number >= 1`);
  }
  if (!(Number.isSafeInteger(minWindowBars) && minWindowBars >= 1)) {
    throw new RangeError(`walk-forward minWindowBars ${minWindowBars} must be a whole number >= 1`);
  }
  let inSampleBars: number;
  let outOfSampleBars: number;
  if (options.inSampleBars !== undefined) {
    inSampleBars = options.inSampleBars;
    if (!(Number.isSafeInteger(inSampleBars) && inSampleBars >= 1 && inSampleBars < barCount)) {
      throw new RangeError(
        `walk-forward inSampleBars ${inSampleBars} must be a whole number from 1 to ${barCount - 1} (the bars minus one)`,
      );
    }
    outOfSampleBars = Math.floor((barCount - inSampleBars) / folds);
  } else {
    const fraction = options.inSampleFraction ?? 0.7;
    if (!(fraction > 0 && fraction < 1)) {
      throw new RangeError(`walk-forward inSampleFraction ${fraction} must be between 0 and 1`);
    }
    const ratio = fraction / (1 - fraction);
    // The epsilon absorbs float error, so that 0.6/0.4 · 20 gives 30 bars, not 29.
    outOfSampleBars = Math.floor(barCount / (folds + ratio) + 1e-9);
    inSampleBars = Math.floor(outOfSampleBars * ratio + 1e-9);
  }
  if (outOfSampleBars < minWindowBars || inSampleBars < minWindowBars) {
    throw new RangeError(
      `walk-forward: ${barCount} bars in ${folds} folds give ${inSampleBars} in-sample and ${outOfSampleBars} ` +
        `out-of-sample bars per window; each needs at least ${minWindowBars}. Use fewer folds or more bars.`,
    );
  }
  const leftover = barCount - inSampleBars - folds * outOfSampleBars;
  const windows: WalkForwardWindow[] = [];
  for (let fold = 0; fold < folds; fold++) {
    const oosStart = leftover + inSampleBars + fold * outOfSampleBars;
    windows.push({
      fold,
      inSample: { start: anchored ? 0 : oosStart - inSampleBars, end: oosStart },
      outOfSample: { start: oosStart, end: oosStart + outOfSampleBars },
    });
  }
  return windows;
}

/** What one fold produced: the in-sample winner and how it did out of sample. */
export interface WalkForwardFold {
  bestParams: Params;
  inSampleScore: number | null;
  outOfSampleScore: number | null;
  outOfSampleMetrics: Metrics | null;
}

/** How stable one parameter's chosen value was across folds. */
export interface ParameterStability {
  values: number[];
  mean: number;
  /** Population standard deviation (÷ n): the folds are all there is, not a sample of them. */
  std: number;
  /** std / |mean|; null when the mean is 0. */
  coefficientOfVariation: number | null;
}

/** The walk-forward verdict. */
export interface WalkForwardSummary {
  folds: number;
  /** Means over the folds with a defined score; null when none has one. */
  meanInSample: number | null;
  meanOutOfSample: number | null;
  /**
   * How much worse out-of-sample is than in-sample, relative to in-sample: (IS − OOS) / |IS| when
   * the objective is maximised, (OOS − IS) / |IS| when minimised, so positive always means worse
   * (0.4 = lost 40 %). Null when either mean is null or IS is 0.
   */
  degradation: number | null;
  parameterStability: Record<string, ParameterStability>;
  /** The parameter set chosen by the most folds (the earliest on a tie). */
  mostCommonParams: Params | null;
  /** Share of folds that chose mostCommonParams, 0–1. */
  mostCommonShare: number;
}

/** Summarises walk-forward folds; `direction` is the objective's, so degradation has one sign. */
export function summarizeWalkForward(
  folds: readonly WalkForwardFold[],
  options: { direction?: Direction } = {},
): WalkForwardSummary {
  const meanInSample = mean(defined(folds.map((f) => f.inSampleScore)));
  const meanOutOfSample = mean(defined(folds.map((f) => f.outOfSampleScore)));
  let degradation: number | null = null;
  if (meanInSample !== null && meanOutOfSample !== null && meanInSample !== 0) {
    const loss =
      options.direction === 'minimize'
        ? meanOutOfSample - meanInSample
        : meanInSample - meanOutOfSample;
    degradation = loss / Math.abs(meanInSample);
  }

  const names = [...new Set(folds.flatMap((f) => Object.keys(f.bestParams)))];
  const parameterStability: Record<string, ParameterStability> = {};
  for (const name of names) {
    const values = defined(folds.map((f) => f.bestParams[name] ?? null));
    const m = mean(values) ?? 0;
    const std = Math.sqrt(values.reduce((sum, v) => sum + (v - m) ** 2, 0) / values.length);
    parameterStability[name] = {
      values,
      mean: m,
      std,
      coefficientOfVariation: m === 0 ? null : std / Math.abs(m),
    };
  }

  const counts = new Map<string, { params: Params; count: number }>();
  for (const { bestParams } of folds) {
    const key = JSON.stringify(names.map((name) => bestParams[name] ?? null));
    const entry = counts.get(key) ?? { params: bestParams, count: 0 };
    entry.count++;
    counts.set(key, entry);
  }
  let mostCommon: { params: Params; count: number } | undefined;
  // Map keeps insertion order, so the strict > leaves the earliest fold's choice on a tie.
  for (const entry of counts.values())
    if (!mostCommon || entry.count > mostCommon.count) mostCommon = entry;

  return {
    folds: folds.length,
    meanInSample,
    meanOutOfSample,
    degradation,
    parameterStability,
    mostCommonParams: mostCommon ? { ...mostCommon.params } : null,
    mostCommonShare: mostCommon ? mostCommon.count / folds.length : 0,
  };
}

function defined(values: readonly (number | null)[]): number[] {
  return values.filter((v): v is number => v !== null && Number.isFinite(v));
}

function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((sum, v) => sum + v, 0) / values.length;
}
