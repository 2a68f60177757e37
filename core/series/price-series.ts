/** Daily bars of one symbol as columns of Float64Array: the form every backtest and indicator reads. */

/**
 * Which prices a backtest uses. 'adjusted' (the default everywhere a backtest runs): signals and
 * returns on split- and dividend-adjusted prices, fills and cash at the prices traded that day,
 * with splits applied to the shares held and dividends credited to cash (see TradedBars). 'raw':
 * everything on traded prices, as if no split or dividend happened (a 2-for-1 split reads as a
 * 50 % fall).
 */
export type PriceMode = 'raw' | 'adjusted';

/** Every price mode, the default first. */
export const PRICE_MODES = ['adjusted', 'raw'] as const satisfies readonly PriceMode[];

/** The price mode a backtest, an optimization or a screen uses when none is given. */
export const DEFAULT_PRICE_MODE: PriceMode = 'adjusted';

/** One line saying which prices a run used, for tool results and the CLI. */
export function describePriceMode(mode: PriceMode): string {
  return mode === 'adjusted'
    ? 'signals and returns on split- and dividend-adjusted prices; fills at the prices traded that day, splits applied to shares held, dividends credited to cash'
    : 'raw traded prices throughout (splits and dividends ignored: a split reads as a price jump)';
}

/**
 * The prices an adjusted view's fills book at, and the corporate actions between its bars. At
 * the start of bar i (before any fill that day), a position held from bar i−1 is multiplied by
 * `split[i]` and receives `dividend[i]` per share (after the split) in cash. Both are derived
 * from the change of the adjustment factor adj_close/close, which the data defines as the total
 * return the raw close misses: f[i]/f[i−1] = split × (close[i] + dividend) / close[i]. So a
 * position's value moves exactly as the adjusted close does, while every fill shows a price and
 * a share count that really traded.
 */
export interface TradedBars {
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  /** The raw prices' grid (10^decimals). */
  scale: number;
  /** Shares multiply by split[i] at the start of bar i (1 on most days). */
  split: Float64Array;
  /** Cash per share (counted after that day's split) paid at the start of bar i (0 on most days). */
  dividend: Float64Array;
}

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
  /**
   * In 'adjusted' mode, the traded prices fills book at and the corporate actions; absent in
   * 'raw' mode, where the view's own prices are the traded ones.
   */
  traded?: TradedBars;
}

/** The prices a view's fills book at: its traded bars, or its own prices when it has none. */
export function executionPrices(view: BarView): {
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  scale: number;
} {
  return view.traded ?? view;
}

/** The finest price grid an adjusted view is rounded to: a millionth of the currency unit. */
export const ADJUSTED_SCALE = 1_000_000;

/**
 * The raw or the adjusted view of a series. The adjusted view's prices (what strategies read)
 * scale open/high/low by adj_close/close and round every price to a millionth: a fixed fine grid
 * keeps crossovers exact integer arithmetic. Its fills use `traded`, the raw prices with the
 * splits and dividends derived from the adjustment factor.
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
    traded: {
      open: series.open,
      high: series.high,
      low: series.low,
      close: series.close,
      scale: series.scale,
      ...corporateActions(series),
    },
  };
}

/** Below this relative change the adjustment factor is taken as unchanged (the data's rounding). */
const FACTOR_NOISE = 1e-5;

/** The simple ratio (p/q, q ≤ 20) nearest r, or r itself when none is within 0.5 %. */
function splitRatio(r: number): number {
  let best = r;
  let bestError = 0.005;
  for (let q = 1; q <= 20; q++) {
    const p = Math.round(r * q);
    if (p < 1) continue;
    const error = Math.abs(p / q / r - 1);
    if (error < bestError - 1e-12) {
      best = p / q;
      bestError = error;
    }
  }
  return best;
}

/**
 * Splits and dividends from the day-to-day change r of f = adj_close/close. A dividend D on day i
 * makes r = (close + D)/close, so a yield above 20 % in one day, or any fall of the factor, is
 * taken as a split (the nearest simple ratio, e.g. 2, 3/2, 1/10), with what is left of r, if it
 * is a rise, as that day's dividend. A factor that never moves (no adj_close in the file) gives none.
 */
export function corporateActions(series: PriceSeries): {
  split: Float64Array;
  dividend: Float64Array;
} {
  const n = series.close.length;
  const split = new Float64Array(n).fill(1);
  const dividend = new Float64Array(n);
  for (let i = 1; i < n; i++) {
    const before = (series.adjClose[i - 1] as number) / (series.close[i - 1] as number);
    const now = (series.adjClose[i] as number) / (series.close[i] as number);
    const r = now / before;
    if (!(Math.abs(r - 1) > FACTOR_NOISE)) continue;
    let k = 1;
    if (r > 1.2 || r < 1 - FACTOR_NOISE) {
      k = splitRatio(r);
      split[i] = k;
    }
    const rest = r / k - 1;
    // A dividend is a whole number of millionths per share; a split's rounding noise is not one.
    if (rest > FACTOR_NOISE)
      dividend[i] = Math.round((series.close[i] as number) * rest * 1e6) / 1e6;
  }
  return { split, dividend };
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
    ...(view.traded && {
      traded: {
        open: view.traded.open.subarray(start, end),
        high: view.traded.high.subarray(start, end),
        low: view.traded.low.subarray(start, end),
        close: view.traded.close.subarray(start, end),
        scale: view.traded.scale,
        split: view.traded.split.subarray(start, end),
        dividend: view.traded.dividend.subarray(start, end),
      },
    }),
  };
}
