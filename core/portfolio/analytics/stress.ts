/** Replaying the current weights through a historical window: buy-and-hold from its first day. */
import type { PriceSeries } from '../../series/price-series.js';
import { PortfolioAnalyticsError, type StressResult, type StressWindow } from './types.js';

/** One held symbol for a replay: its current weight (negative for a short) and its history. */
export interface StressHolding {
  symbol: string;
  weight: number;
  series: PriceSeries;
}

/** Index of the last date ≤ `date` in ascending `dates`, or −1 when every date is later. */
export function lastIndexAtOrBefore(dates: readonly string[], date: string): number {
  let lo = 0;
  let hi = dates.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((dates[mid] as string) <= date) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** Index of the first date ≥ `date` in ascending `dates` (dates.length when every date is earlier). */
export function firstIndexAtOrAfter(dates: readonly string[], date: string): number {
  let lo = 0;
  let hi = dates.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((dates[mid] as string) < date) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The deepest fall below the running peak of a path: max over t of 1 − V_t / max_{s≤t} V_s. */
export interface PathDrawdown {
  depth: number;
  peakIndex: number;
  troughIndex: number;
}

/** Drawdown of a path whose first value is > 0 (the first of two equally deep falls is kept). */
export function pathDrawdown(values: Float64Array): PathDrawdown {
  let peak = values[0] as number;
  let peakAt = 0;
  const result: PathDrawdown = { depth: 0, peakIndex: 0, troughIndex: 0 };
  for (let t = 1; t < values.length; t++) {
    const v = values[t] as number;
    if (v > peak) {
      peak = v;
      peakAt = t;
    } else {
      const depth = 1 - v / peak;
      if (depth > result.depth) {
        result.depth = depth;
        result.peakIndex = peakAt;
        result.troughIndex = t;
      }
    }
  }
  return result;
}

/** True when the series has a bar on or before `start` and at least one in [from, end]. */
function covers(series: PriceSeries, start: string, from: string, end: string): boolean {
  const j = firstIndexAtOrAfter(series.dates, from);
  return (
    lastIndexAtOrBefore(series.dates, start) >= 0 &&
    j < series.dates.length &&
    (series.dates[j] as string) <= end
  );
}

/**
 * P_t / P_start on each calendar day, P the adjusted close of the last bar on or before the day
 * (carried forward over days without a bar). Expects `covers(series, calendar[0], …)`.
 */
function relativePath(series: PriceSeries, calendar: readonly string[]): Float64Array {
  const { dates, adjClose } = series;
  let idx = lastIndexAtOrBefore(dates, calendar[0] as string);
  const price = (i: number): number => {
    const p = adjClose[i] as number;
    if (!(Number.isFinite(p) && p > 0)) {
      throw new PortfolioAnalyticsError(
        `${series.symbol} has an adjusted close of ${p} on ${dates[i]}: prices must be finite and > 0`,
      );
    }
    return p;
  };
  const base = price(idx);
  const path = new Float64Array(calendar.length);
  for (let t = 0; t < calendar.length; t++) {
    const day = calendar[t] as string;
    while (idx + 1 < dates.length && (dates[idx + 1] as string) <= day) idx++;
    path[t] = price(idx) / base;
  }
  return path;
}

/**
 * Replays `holdings` through `window`, clipped to asOf (only bars on or before it are read).
 * The calendar is the union of the held symbols' and the benchmark's dates in the window; the
 * portfolio is bought at the current weights on its first day and held (see StressReplay for the
 * formula); symbols without data there count as cash. Unavailable when the window starts after
 * asOf or nothing has a bar in it.
 */
export function replayStress(
  window: StressWindow,
  holdings: readonly StressHolding[],
  benchmark: PriceSeries,
  asOf: string,
  value: number,
): StressResult {
  const { name, from, to } = window;
  const unavailable = (reason: string): StressResult => ({
    available: false,
    name,
    from,
    to,
    reason,
  });
  if (from > asOf) return unavailable(`asOf ${asOf} is before the window starts (${from})`);
  const end = to < asOf ? to : asOf;
  const days = new Set<string>();
  for (const series of [...holdings.map((h) => h.series), benchmark]) {
    const { dates } = series;
    for (let i = firstIndexAtOrAfter(dates, from); i < dates.length; i++) {
      const day = dates[i] as string;
      if (day > end) break;
      days.add(day);
    }
  }
  if (days.size === 0) {
    return unavailable(
      `neither the held symbols nor the benchmark have bars between ${from} and ${end}`,
    );
  }
  const calendar = [...days].sort();
  const start = calendar[0] as string;
  const last = calendar[calendar.length - 1] as string;

  const values = new Float64Array(calendar.length).fill(1);
  const missing: string[] = [];
  let missingWeight = 0;
  for (const h of holdings) {
    if (!covers(h.series, start, from, end)) {
      missing.push(h.symbol);
      missingWeight += h.weight;
      continue;
    }
    const path = relativePath(h.series, calendar);
    for (let t = 0; t < calendar.length; t++) {
      values[t] = (values[t] as number) + h.weight * ((path[t] as number) - 1);
    }
  }
  const portfolioReturn = (values[calendar.length - 1] as number) - 1;
  const drawdown = pathDrawdown(values);

  let benchmarkReturn: number | null = null;
  let benchmarkMaxDrawdown: number | null = null;
  if (covers(benchmark, start, from, end)) {
    const path = relativePath(benchmark, calendar);
    benchmarkReturn = (path[calendar.length - 1] as number) - 1;
    benchmarkMaxDrawdown = pathDrawdown(path).depth;
  }
  return {
    available: true,
    name,
    from,
    to,
    start,
    end: last,
    days: calendar.length,
    portfolioReturn,
    portfolioPnl: Math.round(portfolioReturn * value * 100) / 100,
    maxDrawdown: drawdown.depth,
    drawdownPeak: calendar[drawdown.peakIndex] as string,
    drawdownTrough: calendar[drawdown.troughIndex] as string,
    missing,
    missingWeight,
    benchmarkReturn,
    benchmarkMaxDrawdown,
  };
}
