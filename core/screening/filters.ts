/** Finding a symbol's as-of bar and deciding whether it may be ranked: staleness, sector, price, liquidity, SMA 200. */
import { sma } from '../indicators/sma.js';
import { daysBetween } from '../metrics/day-number.js';
import type { PriceSeries } from '../series/price-series.js';
import type { ScreenFilters } from './request.js';

/** A symbol whose last bar on or before the as-of date is more than this many calendar days old is stale. */
export const STALE_AFTER_DAYS = 10;
/** Bars averaged for the dollar volume (about a month). */
export const DOLLAR_VOLUME_BARS = 20;
/** Bars in the moving average of the aboveSma200 filter. */
export const SMA_FILTER_BARS = 200;

/** Why a symbol of the universe was not ranked, in the order the checks run. */
export const EXCLUSION_REASONS = [
  'no_data',
  'stale',
  'sector',
  'min_price',
  'min_dollar_volume',
  'sma200',
  'no_factors',
] as const;

/**
 * no_data: no bar on or before asOf; stale: the last such bar is more than STALE_AFTER_DAYS
 * calendar days old; sector, min_price, min_dollar_volume, sma200: failed that filter; no_factors:
 * passed the filters but has none of the factors with a non-zero weight (too little history).
 */
export type ExclusionReason = (typeof EXCLUSION_REASONS)[number];

/** One symbol left out of the ranking, and why. */
export interface Exclusion {
  symbol: string;
  reason: ExclusionReason;
  /** The values behind the reason, e.g. "price 3.1 is below minPrice 5". */
  detail: string;
}

/** The index of the last date ≤ asOf in ascending ISO `dates` (binary search), or −1 when there is none. */
export function lastIndexOnOrBefore(dates: readonly string[], asOf: string): number {
  let lo = 0;
  let hi = dates.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((dates[mid] as string) <= asOf) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/**
 * Mean of raw close × volume over the 20 bars ending at t (fewer when the history is shorter): the
 * money traded per day, in the price currency. Raw rather than adjusted prices, because the volume
 * is the shares actually traded.
 */
export function averageDollarVolume(series: PriceSeries, t: number): number {
  const start = Math.max(0, t - DOLLAR_VOLUME_BARS + 1);
  let sum = 0;
  for (let k = start; k <= t; k++)
    sum += (series.close[k] as number) * (series.volume[k] as number);
  return sum / (t - start + 1);
}

/** Mean of the 200 adjusted closes ending at t, or NaN with fewer bars. */
export function sma200At(adjClose: Float64Array, t: number): number {
  if (t < SMA_FILTER_BARS - 1) return Number.NaN;
  const window = adjClose.subarray(t - SMA_FILTER_BARS + 1, t + 1);
  return sma(window, SMA_FILTER_BARS)[SMA_FILTER_BARS - 1] as number;
}

/** A symbol's as-of bar and the figures the filters read, for one that passed. */
export interface AsOfBar {
  t: number;
  date: string;
  /** Raw close at t. */
  price: number;
  dollarVolume: number;
}

/**
 * Applies the filters, in EXCLUSION_REASONS order, to `series` at the as-of date; returns the
 * as-of bar when it passes, otherwise the first reason it fails. `wantedSectors` holds the filter's
 * sector names in lower case.
 */
export function checkFilters(
  series: PriceSeries,
  sector: string | undefined,
  asOf: string,
  filters: ScreenFilters,
  wantedSectors: ReadonlySet<string> | undefined,
): AsOfBar | Exclusion {
  const { symbol, dates } = series;
  const t = lastIndexOnOrBefore(dates, asOf);
  if (t < 0) {
    // Not the first bar's date: that would tell the caller something from after asOf.
    return { symbol, reason: 'no_data', detail: `no bar on or before ${asOf}` };
  }
  const date = dates[t] as string;
  const age = daysBetween(date, asOf);
  if (age > STALE_AFTER_DAYS) {
    const detail = `the last bar on or before ${asOf} is on ${date}, ${age} calendar days earlier (more than ${STALE_AFTER_DAYS})`;
    return { symbol, reason: 'stale', detail };
  }
  if (wantedSectors && !(sector !== undefined && wantedSectors.has(sector.toLowerCase()))) {
    const detail = `sector ${sector ?? '(unknown)'} is not among ${filters.sectors?.join(', ')}`;
    return { symbol, reason: 'sector', detail };
  }
  const price = series.close[t] as number;
  if (filters.minPrice !== undefined && !(price >= filters.minPrice)) {
    const detail = `price ${price} on ${date} is below minPrice ${filters.minPrice}`;
    return { symbol, reason: 'min_price', detail };
  }
  const dollarVolume = averageDollarVolume(series, t);
  if (filters.minDollarVolume !== undefined && !(dollarVolume >= filters.minDollarVolume)) {
    const detail = `average dollar volume ${dollarVolume} is below minDollarVolume ${filters.minDollarVolume}`;
    return { symbol, reason: 'min_dollar_volume', detail };
  }
  if (filters.aboveSma200 !== undefined) {
    const average = sma200At(series.adjClose, t);
    if (Number.isNaN(average)) {
      const detail = `needs ${SMA_FILTER_BARS} bars for the SMA 200 filter, has ${t + 1}`;
      return { symbol, reason: 'sma200', detail };
    }
    const close = series.adjClose[t] as number;
    if (close > average !== filters.aboveSma200) {
      const side = filters.aboveSma200 ? 'not above' : 'above';
      const detail = `adjusted close ${close} is ${side} its SMA 200 ${average}`;
      return { symbol, reason: 'sma200', detail };
    }
  }
  return { t, date, price, dollarVolume };
}
