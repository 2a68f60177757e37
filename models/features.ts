/**
 * Point-in-time features for the learned screening score: for each month end and each symbol,
 * numbers computed from that symbol's adjusted closes and volumes up to and including that day
 * only — never a later bar — and the target it is trained on, the forward 21-trading-day return
 * (known only 21 days later), as its excess over the month's universe mean.
 */
import type { PriceSeries } from '../core/series/price-series.js';

export const FEATURES = [
  'ret_1m',
  'ret_3m',
  'ret_6m',
  'ret_12m',
  'mom_12_1',
  'vol_1m',
  'vol_3m',
  'drawdown_12m',
  'volume_ratio',
] as const;
export type FeatureName = (typeof FEATURES)[number];

/** Trading days of history a row needs (a year). */
export const HISTORY = 252;
/** The forward window of the target. */
export const HORIZON = 21;

export interface PanelRow {
  date: string;
  symbol: string;
  /** FEATURES in order. */
  features: Float32Array;
  /** Forward HORIZON-day return; NaN when the window is not over yet. */
  forward: number;
}

/** The last trading day of each calendar month seen in any series, ascending. */
export function monthEnds(series: readonly PriceSeries[]): string[] {
  const last = new Map<string, string>();
  for (const one of series)
    for (const date of one.dates) {
      const month = date.slice(0, 7);
      const known = last.get(month);
      if (known === undefined || date > known) last.set(month, date);
    }
  return [...last.values()].sort();
}

function stdev(values: Float64Array, from: number, to: number): number {
  const n = to - from;
  let mean = 0;
  for (let k = from; k < to; k++) mean += values[k] as number;
  mean /= n;
  let sum = 0;
  for (let k = from; k < to; k++) sum += ((values[k] as number) - mean) ** 2;
  return Math.sqrt(sum / Math.max(n - 1, 1));
}

/** The features of `series` at index `i` (uses bars 0..i only). */
export function featuresAt(series: PriceSeries, i: number, logReturns: Float64Array): Float32Array {
  const p = series.adjClose;
  const at = p[i] as number;
  const back = (days: number) => at / (p[i - days] as number) - 1;
  let high = 0;
  for (let k = i - HISTORY + 1; k <= i; k++) high = Math.max(high, p[k] as number);
  let recent = 0;
  let longer = 0;
  for (let k = i - 20; k <= i; k++) recent += series.volume[k] as number;
  for (let k = i - 125; k <= i; k++) longer += series.volume[k] as number;
  const out = new Float32Array(FEATURES.length);
  out[0] = back(21);
  out[1] = back(63);
  out[2] = back(126);
  out[3] = back(252);
  out[4] = (p[i - 21] as number) / (p[i - 252] as number) - 1;
  out[5] = stdev(logReturns, i - 20, i + 1);
  out[6] = stdev(logReturns, i - 62, i + 1);
  out[7] = at / high - 1;
  out[8] = longer > 0 ? recent / 21 / (longer / 126) : 1;
  return out;
}

/**
 * Every (month end, symbol) row with a year of history: features as of that day, the forward
 * return when its window has passed. A symbol without a bar within 5 calendar days of a month
 * end has no row for it.
 */
export function buildPanel(series: readonly PriceSeries[]): PanelRow[] {
  const ends = monthEnds(series);
  const rows: PanelRow[] = [];
  for (const one of series) {
    const p = one.adjClose;
    const logReturns = new Float64Array(p.length);
    for (let k = 1; k < p.length; k++)
      logReturns[k] = Math.log((p[k] as number) / (p[k - 1] as number));
    let i = 0;
    for (const end of ends) {
      while (i + 1 < one.dates.length && (one.dates[i + 1] as string) <= end) i++;
      const date = one.dates[i] as string;
      if (date > end || i < HISTORY) continue;
      if (Date.parse(end) - Date.parse(date) > 5 * 86_400_000) continue;
      const forward =
        i + HORIZON < p.length ? (p[i + HORIZON] as number) / (p[i] as number) - 1 : Number.NaN;
      const features = featuresAt(one, i, logReturns);
      if (features.some((value) => !Number.isFinite(value))) continue;
      rows.push({ date: end, symbol: one.symbol, features, forward });
    }
  }
  return rows.sort((a, b) =>
    a.date < b.date ? -1 : a.date > b.date ? 1 : a.symbol < b.symbol ? -1 : 1,
  );
}

/** Rows grouped by date, in date order. */
export function byDate(rows: readonly PanelRow[]): Map<string, PanelRow[]> {
  const out = new Map<string, PanelRow[]>();
  for (const row of rows) {
    const list = out.get(row.date) ?? [];
    list.push(row);
    out.set(row.date, list);
  }
  return out;
}

/**
 * Each symbol's features on its last bar on or before `asOf` (a symbol with under a year of
 * history by then, or a non-finite feature, has no row): what the live model scores.
 */
export function rowsAt(
  series: readonly PriceSeries[],
  asOf: string,
): { symbol: string; date: string; features: Float32Array }[] {
  const out: { symbol: string; date: string; features: Float32Array }[] = [];
  // One buffer for every symbol's log returns (only the last 63 before i are read): no garbage
  // per symbol, so a screen over 500 symbols does not wait on the collector.
  let logReturns = new Float64Array(0);
  for (const one of series) {
    let lo = 0;
    let hi = one.dates.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((one.dates[mid] as string) <= asOf) lo = mid + 1;
      else hi = mid;
    }
    const i = lo - 1;
    if (i < HISTORY) continue;
    const p = one.adjClose;
    if (logReturns.length < i + 1) logReturns = new Float64Array(Math.max(i + 1, 8192));
    for (let k = i - 63; k <= i; k++)
      logReturns[k] = Math.log((p[k] as number) / (p[k - 1] as number));
    const features = featuresAt(one, i, logReturns);
    if (features.some((value) => !Number.isFinite(value))) continue;
    out.push({ symbol: one.symbol, date: one.dates[i] as string, features });
  }
  return out;
}
