/** Reading symbols' whole price histories from the database as PriceSeries. */
import type { PriceSeries } from '../../core/series/price-series.js';
import type { Pool } from '../db/pool.js';

function places(text: string): number {
  const point = text.indexOf('.');
  if (point < 0) return 0;
  let end = text.length;
  while (end > point + 1 && text.charCodeAt(end - 1) === 48) end--; // trailing zeros add nothing
  return end - point - 1;
}

type Row = [
  symbol: string,
  date: string,
  open: string,
  high: string,
  low: string,
  close: string,
  adjClose: string,
  volume: string,
];

function emptySeries(symbol: string, n: number): PriceSeries {
  return {
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
}

/**
 * All stored bars of each of `symbols`, oldest first, in one query; a symbol without bars maps
 * to an empty series. NUMERIC arrives as text, so the decimal places of every raw price are
 * counted exactly to set each series' tick grid. Symbols share one string per date (`dates`
 * may be given to share them across calls): 500 symbols × 5,800 bars would otherwise hold
 * 2.9 million copies of the same few thousand dates.
 */
export async function readSeries(
  pool: Pool,
  symbols: string[],
  dates: Map<string, string> = new Map(),
): Promise<Map<string, PriceSeries>> {
  const { rows } = await pool.query<Row>({
    text: 'SELECT symbol, date, open, high, low, close, adj_close, volume FROM daily_bars WHERE symbol = ANY($1) ORDER BY symbol, date',
    values: [symbols],
    rowMode: 'array',
  });
  const out = new Map<string, PriceSeries>();
  for (let start = 0; start < rows.length; ) {
    const symbol = (rows[start] as Row)[0];
    let end = start;
    while (end < rows.length && (rows[end] as Row)[0] === symbol) end++;
    const series = emptySeries(symbol, end - start);
    let decimals = 0;
    for (let k = start; k < end; k++) {
      const [, date, open, high, low, close, adjClose, volume] = rows[k] as Row;
      const i = k - start;
      let shared = dates.get(date);
      if (shared === undefined) {
        shared = date;
        dates.set(date, date);
      }
      series.dates[i] = shared;
      series.open[i] = Number(open);
      series.high[i] = Number(high);
      series.low[i] = Number(low);
      series.close[i] = Number(close);
      series.adjClose[i] = Number(adjClose);
      series.volume[i] = Number(volume);
      decimals = Math.max(decimals, places(open), places(high), places(low), places(close));
    }
    series.scale = 10 ** Math.min(decimals, 8);
    out.set(symbol, series);
    start = end;
  }
  for (const symbol of symbols) if (!out.has(symbol)) out.set(symbol, emptySeries(symbol, 0));
  return out;
}

/** All stored bars of `symbol`, oldest first (an empty series when it has none). */
export async function seriesFromDatabase(pool: Pool, symbol: string): Promise<PriceSeries> {
  return (await readSeries(pool, [symbol])).get(symbol) as PriceSeries;
}
