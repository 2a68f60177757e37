/** Hand-written bars for engine and strategy tests (imported only by *.test.ts files). */
import { type BarView, type PriceSeries, priceView } from '../series/price-series.js';

/** A raw view from closes (open = previous close unless given), dates from 2020-01-01 on, scale 100. */
export function barsFrom(
  closes: number[],
  options: { opens?: number[]; highs?: number[]; lows?: number[]; symbol?: string } = {},
): BarView {
  const n = closes.length;
  const open = Float64Array.from(
    options.opens ?? closes.map((c, i) => (i === 0 ? c : (closes[i - 1] as number))),
  );
  const high = Float64Array.from(
    options.highs ?? closes.map((c, i) => Math.max(c, open[i] as number)),
  );
  const low = Float64Array.from(
    options.lows ?? closes.map((c, i) => Math.min(c, open[i] as number)),
  );
  const start = Date.UTC(2020, 0, 1);
  const series: PriceSeries = {
    symbol: options.symbol ?? 'TEST',
    dates: Array.from({ length: n }, (_, i) =>
      new Date(start + i * 86_400_000).toISOString().slice(0, 10),
    ),
    open,
    high,
    low,
    close: Float64Array.from(closes),
    adjClose: Float64Array.from(closes),
    volume: new Float64Array(n).fill(1000),
    scale: 100,
  };
  return priceView(series, 'raw');
}
