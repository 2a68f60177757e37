/** Reading one symbol's whole price history from the database as a PriceSeries. */
import type { PriceSeries } from '../../core/series/price-series.js';
import type { Pool } from '../db/pool.js';

function places(text: string): number {
  const point = text.indexOf('.');
  if (point < 0) return 0;
  let end = text.length;
  while (end > point + 1 && text.charCodeAt(end - 1) === 48) end--; // trailing zeros add nothing
  return end - point - 1;
}

/**
 * All stored bars of `symbol`, oldest first. NUMERIC arrives as text, so the decimal places of
 * every raw price are counted exactly to set the series' tick grid.
 */
export async function seriesFromDatabase(pool: Pool, symbol: string): Promise<PriceSeries> {
  const { rows } = await pool.query<{
    date: string;
    open: string;
    high: string;
    low: string;
    close: string;
    adj_close: string;
    volume: string;
  }>(
    'SELECT date, open, high, low, close, adj_close, volume FROM daily_bars WHERE symbol = $1 ORDER BY date',
    [symbol],
  );
  const n = rows.length;
  const series: PriceSeries = {
    symbol,
    dates: new Array<string>(n),
    open: new Float64Array(n),
    high: new Float64Array(n),
    low: new Float64Array(n),
    close: new Float64Array(n),
    adjClose: new Float64Array(n),
    volume: new Float64Array(n),
    scale: 1,
  };
  let decimals = 0;
  rows.forEach((row, i) => {
    series.dates[i] = row.date;
    series.open[i] = Number(row.open);
    series.high[i] = Number(row.high);
    series.low[i] = Number(row.low);
    series.close[i] = Number(row.close);
    series.adjClose[i] = Number(row.adj_close);
    series.volume[i] = Number(row.volume);
    decimals = Math.max(
      decimals,
      places(row.open),
      places(row.high),
      places(row.low),
      places(row.close),
    );
  });
  series.scale = 10 ** Math.min(decimals, 8);
  return series;
}
