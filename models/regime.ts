/**
 * The market regime per day, from index-level features, point in time (a day's label reads only
 * that day and earlier). The index is the equal-weight mean of the daily log returns of every
 * symbol with bars on both days. Two features: the 63-day trend (the index's summed log return)
 * and the 21-day volatility (annualized). The model is two thresholds, each refitted every day
 * on the past only: a day is `volatile` when its volatility is above the median of every earlier
 * day's, else `calm`; its trend is `up` or `down` when it moved more than half of one 63-day
 * standard deviation at that median volatility, else the market is `sideways`.
 */
import type { PriceSeries } from '../core/series/price-series.js';

export const REGIMES = [
  'calm-up',
  'calm-down',
  'volatile-up',
  'volatile-down',
  'sideways',
] as const;
export type Regime = (typeof REGIMES)[number];

/** Trading days of index history before a day has a label. */
export const REGIME_WARMUP = 63;

export interface RegimeDay {
  date: string;
  regime: Regime;
  /** The index's log return over the last 63 trading days. */
  trend_63d: number;
  /** The index's 21-day volatility, annualized. */
  volatility_21d: number;
  /** The median of every earlier day's volatility (the calm/volatile line). */
  volatility_median: number;
}

export interface RegimeSeries {
  dates: string[];
  /** undefined before REGIME_WARMUP days of index history. */
  days: (RegimeDay | undefined)[];
}

/** The equal-weight index's daily log returns, on the union of the series' dates. */
function indexReturns(series: readonly PriceSeries[]): { dates: string[]; returns: Float64Array } {
  // The longest history's dates, plus any date another series has that it lacks.
  let base: string[] = [];
  for (const one of series) if (one.dates.length > base.length) base = one.dates;
  const position = new Map<string, number>();
  base.forEach((date, k) => {
    position.set(date, k);
  });
  /** Where a series' bars sit in `base`, when they are one unbroken run of its dates (the usual case). */
  const offsetIn = (one: PriceSeries, dates: string[], at: Map<string, number>) => {
    const first = at.get(one.dates[0] as string);
    const n = one.dates.length;
    return first !== undefined && dates[first + n - 1] === one.dates[n - 1] ? first : undefined;
  };
  const extra = new Set<string>();
  for (const one of series)
    if (one.dates.length > 0 && offsetIn(one, base, position) === undefined)
      for (const date of one.dates) if (!position.has(date)) extra.add(date);
  let dates = base;
  let at = position;
  if (extra.size > 0) {
    dates = [...base, ...extra].sort();
    at = new Map(dates.map((date, k) => [date, k]));
  }
  const sums = new Float64Array(dates.length);
  const counts = new Uint32Array(dates.length);
  for (const one of series) {
    if (one.dates.length < 2) continue;
    const p = one.adjClose;
    const offset = offsetIn(one, dates, at);
    for (let i = 1; i < one.dates.length; i++) {
      const k = offset === undefined ? (at.get(one.dates[i] as string) as number) : offset + i;
      const r = Math.log((p[i] as number) / (p[i - 1] as number));
      if (!Number.isFinite(r)) continue;
      sums[k] = (sums[k] as number) + r;
      counts[k] = (counts[k] as number) + 1;
    }
  }
  const returns = new Float64Array(dates.length);
  for (let k = 0; k < dates.length; k++)
    returns[k] = (counts[k] as number) > 0 ? (sums[k] as number) / (counts[k] as number) : 0;
  return { dates, returns };
}

const cache = new WeakMap<readonly PriceSeries[], RegimeSeries>();

/** Every day's regime over the union of `series`' dates. */
export function marketRegimes(series: readonly PriceSeries[]): RegimeSeries {
  const known = cache.get(series);
  if (known) return known;
  const { dates, returns } = indexReturns(series);
  const days: (RegimeDay | undefined)[] = new Array(dates.length).fill(undefined);
  const past: number[] = [];
  let trend = 0;
  for (let k = 1; k < dates.length; k++) {
    trend += returns[k] as number;
    if (k > 63) trend -= returns[k - 63] as number;
    if (k < 21) continue;
    let mean = 0;
    for (let j = k - 20; j <= k; j++) mean += returns[j] as number;
    mean /= 21;
    let sq = 0;
    for (let j = k - 20; j <= k; j++) sq += ((returns[j] as number) - mean) ** 2;
    const vol = Math.sqrt((sq / 20) * 252);
    if (k >= REGIME_WARMUP && past.length > 0) {
      const median =
        past.length % 2 === 1
          ? (past[(past.length - 1) / 2] as number)
          : ((past[past.length / 2 - 1] as number) + (past[past.length / 2] as number)) / 2;
      const band = 0.5 * median * Math.sqrt(63 / 252);
      const regime: Regime =
        Math.abs(trend) <= band
          ? 'sideways'
          : `${vol > median ? 'volatile' : 'calm'}-${trend > 0 ? 'up' : 'down'}`;
      days[k] = {
        date: dates[k] as string,
        regime,
        trend_63d: Number(trend.toFixed(5)),
        volatility_21d: Number(vol.toFixed(5)),
        volatility_median: Number(median.toFixed(5)),
      };
    }
    // This day's volatility joins the past the next day's threshold is fitted on.
    let lo = 0;
    let hi = past.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((past[mid] as number) < vol) lo = mid + 1;
      else hi = mid;
    }
    past.splice(lo, 0, vol);
  }
  const result = { dates, days };
  cache.set(series, result);
  return result;
}

/** The label of the last day on or before `date` in `regimes`, or undefined before they start. */
export function regimeOn(regimes: RegimeSeries, date: string): RegimeDay | undefined {
  const { dates, days } = regimes;
  let lo = 0;
  let hi = dates.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((dates[mid] as string) <= date) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 ? days[lo - 1] : undefined;
}

/** The regime on the last day on or before `date`, or undefined with too little history. */
export function regimeAt(series: readonly PriceSeries[], date: string): RegimeDay | undefined {
  return regimeOn(marketRegimes(series), date);
}

/** "Only trade in these regimes": the refusal text for a list naming no regime. */
export function checkRegimes(names: readonly string[]): Regime[] {
  const bad = names.find((name) => !(REGIMES as readonly string[]).includes(name));
  if (bad !== undefined)
    throw new RangeError(`regime ${JSON.stringify(bad)} is not one of ${REGIMES.join(', ')}`);
  return names as Regime[];
}
