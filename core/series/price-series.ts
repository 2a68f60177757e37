/** Daily bars of one symbol as columns of Float64Array: the form every backtest and indicator reads. */

/** Which prices a backtest trades on. */
export type PriceMode = 'raw' | 'adjusted';

/**
 * One symbol's history, oldest first, one array element per trading day. Prices are stored as
 * the nearest doubles to the decimal text they came from; `scale` records the finest decimal
 * place seen (10^decimals), so that `Math.round(price * scale)` recovers the exact decimal as an
 * integer count of ticks — what exact comparisons and cash arithmetic use.
 */
export interface PriceSeries {
  symbol: string;
  /** ISO dates, YYYY-MM-DD, strictly ascending. */
  dates: string[];
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  /** Close adjusted for splits and dividends (equal to close when the source has none). */
  adjClose: Float64Array;
  volume: Float64Array;
  /** 10^(most decimal places in any raw price), e.g. 100 for cents, 1e6 for millionths. */
  scale: number;
}

/** The bars a backtest sees: raw or adjusted prices, with close also as exact integer ticks. */
export interface BarView {
  symbol: string;
  mode: PriceMode;
  dates: string[];
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
  /** Prices are whole multiples of 1/scale. */
  scale: number;
  /** close × scale, an exact integer per bar (for tie-exact indicator comparisons). */
  closeTicks: Float64Array;
  /** The largest tick count of any price in the view (bounds exact integer arithmetic). */
  maxTick: number;
  /**
   * Adjusted closes in either mode, for signals built on returns (momentum, volatility): a
   * 2-for-1 split is not a 50 % loss.
   */
  adjClose: Float64Array;
}

/** The finest price grid an adjusted view is rounded to: a millionth of the currency unit. */
export const ADJUSTED_SCALE = 1_000_000;

/**
 * The raw or the adjusted view of a series. The adjusted view scales open/high/low by
 * adj_close/close and rounds every price to a millionth: adjusted prices are not decimals anyone
 * traded, and putting them on a fixed fine grid keeps cash and crossovers exact integer arithmetic
 * at a cost far below a cent per share.
 */
export function priceView(series: PriceSeries, mode: PriceMode): BarView {
  const n = series.close.length;
  if (mode === 'raw') {
    const { scale } = series;
    const closeTicks = new Float64Array(n);
    let maxTick = 0;
    for (let i = 0; i < n; i++) {
      closeTicks[i] = Math.round((series.close[i] as number) * scale);
      const high = Math.round((series.high[i] as number) * scale);
      if (high > maxTick) maxTick = high;
    }
    return {
      symbol: series.symbol,
      mode,
      dates: series.dates,
      open: series.open,
      high: series.high,
      low: series.low,
      close: series.close,
      volume: series.volume,
      scale,
      closeTicks,
      maxTick,
      adjClose: series.adjClose,
    };
  }
  const scale = ADJUSTED_SCALE;
  const open = new Float64Array(n);
  const high = new Float64Array(n);
  const low = new Float64Array(n);
  const close = new Float64Array(n);
  const closeTicks = new Float64Array(n);
  let maxTick = 0;
  for (let i = 0; i < n; i++) {
    const adj = series.adjClose[i] as number;
    const factor = adj / (series.close[i] as number);
    const c = Math.round(adj * scale);
    const h = Math.round((series.high[i] as number) * factor * scale);
    // Rounding each price separately could put close a tick outside [low, high]; clamp it back.
    const l = Math.min(Math.round((series.low[i] as number) * factor * scale), c);
    const hh = Math.max(h, c);
    const o = Math.min(Math.max(Math.round((series.open[i] as number) * factor * scale), l), hh);
    closeTicks[i] = c;
    close[i] = c / scale;
    high[i] = hh / scale;
    low[i] = l / scale;
    open[i] = o / scale;
    if (hh > maxTick) maxTick = hh;
  }
  return {
    symbol: series.symbol,
    mode,
    dates: series.dates,
    open,
    high,
    low,
    close,
    volume: series.volume,
    scale,
    closeTicks,
    maxTick,
    adjClose: close,
  };
}

/** The bars whose dates fall in [from, to] (ISO dates, inclusive; undefined = unbounded). */
export function sliceSeries(series: PriceSeries, from?: string, to?: string): PriceSeries {
  const dates = series.dates;
  let start = 0;
  let end = dates.length;
  if (from !== undefined) while (start < end && (dates[start] as string) < from) start++;
  if (to !== undefined) while (end > start && (dates[end - 1] as string) > to) end--;
  if (start === 0 && end === dates.length) return series;
  return {
    symbol: series.symbol,
    dates: dates.slice(start, end),
    open: series.open.subarray(start, end),
    high: series.high.subarray(start, end),
    low: series.low.subarray(start, end),
    close: series.close.subarray(start, end),
    adjClose: series.adjClose.subarray(start, end),
    volume: series.volume.subarray(start, end),
    scale: series.scale,
  };
}

/** Bars [start, end) of a view (walk-forward windows), sharing its arrays. */
export function sliceView(view: BarView, start: number, end: number): BarView {
  return {
    ...view,
    dates: view.dates.slice(start, end),
    open: view.open.subarray(start, end),
    high: view.high.subarray(start, end),
    low: view.low.subarray(start, end),
    close: view.close.subarray(start, end),
    volume: view.volume.subarray(start, end),
    closeTicks: view.closeTicks.subarray(start, end),
    adjClose: view.adjClose.subarray(start, end),
  };
}
