/** Daily simple returns of several symbols on one calendar: the input of every portfolio estimator. */
import type { PriceSeries } from '../../series/price-series.js';
import type { ReturnsMatrix } from '../types.js';

/** Thrown when the prices cannot give the returns asked for; the message names the symbol or value. */
export class EstimatorInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EstimatorInputError';
  }
}

/** Which returns to build. */
export interface ReturnsRequest {
  /** The last day (ISO); the latest bar on or before it ends the window. Default: the latest bar of any symbol. */
  end?: string;
  /** Returns in the window (so lookback + 1 prices per symbol). */
  lookback: number;
  /** Leave out symbols missing a price in the window (listed in `dropped`) instead of refusing. */
  skipIncomplete?: boolean;
}

/** The returns, plus the symbols left out for missing prices (only with skipIncomplete). */
export interface ReturnsResult {
  returns: ReturnsMatrix;
  dropped: { symbol: string; reason: string }[];
}

/** Index of the last date ≤ `date` in ascending ISO `dates`, or −1. */
function lastAtOrBefore(dates: string[], date: string): number {
  let lo = 0;
  let hi = dates.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((dates[mid] as string) <= date) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/**
 * Every date ≤ end on which any symbol traded, the last lookback + 1 of them (at least). Symbols
 * almost always share one calendar, so each window is first compared with the longest one and the
 * union (a Set and a sort) is built only when some symbol traded on a day the others did not.
 */
function calendarOf(series: PriceSeries[], end: string, lookback: number): string[] {
  const windows = series.map((one) => {
    const stop = lastAtOrBefore(one.dates, end);
    return one.dates.slice(Math.max(0, stop - lookback), stop + 1);
  });
  let reference = windows[0] as string[];
  for (const window of windows) if (window.length > reference.length) reference = window;
  const known = new Set<string>();
  let merged = false;
  for (const window of windows) {
    // A full window that ends on the same day and starts on the same day is the same calendar
    // when every date matches; a short window (a young symbol) must sit inside the reference.
    const offset = reference.length - window.length;
    let same = window[window.length - 1] === reference[reference.length - 1];
    for (let k = 0; same && k < window.length; k++) same = window[k] === reference[offset + k];
    if (same) continue;
    if (!merged) {
      for (const date of reference) known.add(date);
      merged = true;
    }
    for (const date of window) known.add(date);
  }
  if (!merged) return reference;
  return [...known].sort().slice(-(lookback + 1));
}

/**
 * Daily simple returns r_t = adj_t / adj_(t−1) − 1 from adjusted closes (dividends and splits
 * included), over the `lookback` returns that end on the last trading day ≤ `end`. The calendar is
 * the union of the symbols' dates, so a symbol missing a day that others traded is incomplete:
 * refused (naming it and how many prices it lacks) unless `skipIncomplete`.
 */
export function buildReturns(series: PriceSeries[], request: ReturnsRequest): ReturnsResult {
  const { lookback } = request;
  if (!Number.isInteger(lookback) || lookback < 2)
    throw new EstimatorInputError(
      `lookback ${lookback} is not valid; use a whole number of daily returns ≥ 2 (756 is three years)`,
    );
  if (series.length < 2)
    throw new EstimatorInputError(
      `a portfolio needs at least two symbols, got ${series.length}${series.length === 1 ? ` (${series[0]?.symbol})` : ''}`,
    );
  let latest = '';
  for (const one of series) {
    const last = one.dates[one.dates.length - 1];
    if (last !== undefined && last > latest) latest = last;
  }
  const end = request.end ?? latest;
  if (end > latest)
    throw new EstimatorInputError(
      `end ${end} is after the last price of every symbol; the latest is ${latest}`,
    );
  const days = calendarOf(series, end, lookback);
  if (days.length < lookback + 1) {
    throw new EstimatorInputError(
      `lookback ${lookback} is longer than the data: the symbols have ${days.length - 1} returns up to ${end}; use --lookback ${Math.max(2, days.length - 1)} or less`,
    );
  }
  const window = days.slice(days.length - lookback - 1);
  const first = window[0] as string;
  const kept: PriceSeries[] = [];
  const starts: number[] = [];
  const dropped: ReturnsResult['dropped'] = [];
  const problems: string[] = [];
  for (const one of series) {
    const start = lastAtOrBefore(one.dates, first);
    const stop = lastAtOrBefore(one.dates, end);
    const complete =
      start >= 0 && one.dates[start] === first && stop - start === lookback && stop >= 0;
    if (complete) {
      kept.push(one);
      starts.push(start);
      continue;
    }
    const firstIndex = start >= 0 && one.dates[start] === first ? start : start + 1;
    const have = stop >= firstIndex ? stop - firstIndex + 1 : 0;
    const since = one.dates[0] ?? 'never';
    const reason = `${one.symbol} has ${have} of the ${lookback + 1} prices from ${first} to ${window[lookback]} (its data starts ${since})`;
    if (request.skipIncomplete) dropped.push({ symbol: one.symbol, reason });
    else problems.push(reason);
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 5).join('; ');
    throw new EstimatorInputError(
      `not enough history: ${shown}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}. Shorten the lookback, move the end date, leave those symbols out, or skip incomplete symbols`,
    );
  }
  if (kept.length < 2)
    throw new EstimatorInputError(
      `only ${kept.length} symbol(s) have complete prices over the ${lookback} returns ending ${window[lookback]}; a portfolio needs at least two`,
    );
  const n = kept.length;
  const T = lookback;
  const values = new Float64Array(n * T);
  for (let i = 0; i < n; i++) {
    const adj = (kept[i] as PriceSeries).adjClose;
    const start = starts[i] as number;
    let previous = adj[start] as number;
    for (let t = 0; t < T; t++) {
      const price = adj[start + 1 + t] as number;
      values[i * T + t] = price / previous - 1;
      previous = price;
    }
  }
  return {
    returns: { symbols: kept.map((one) => one.symbol), dates: window.slice(1), n, T, values },
    dropped,
  };
}
