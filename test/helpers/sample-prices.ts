/** The bundled sample prices as Float64Array columns, for tests that run indicators on real data. */
import { sampleLines } from './fixtures.js';

/** One symbol's daily history, oldest first, with every column as long as `dates`. */
export interface SamplePrices {
  dates: string[];
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  /** Shares traded, as reported (not split-adjusted). */
  volume: Float64Array;
}

/**
 * The sample file of `symbol` (e.g. 'AAPL') with open, high, low and close adjusted for splits and
 * dividends (scaled by adj_close / close), as a backtest sees them: no split gaps, and prices with
 * many decimals rather than cents, which exercises rounding harder.
 */
export async function loadSamplePrices(symbol: string): Promise<SamplePrices> {
  const [header, ...rows] = await sampleLines(symbol);
  if (header !== 'date,open,high,low,close,adj_close,volume,dividend,split') {
    throw new Error(`unexpected header in the ${symbol} sample: ${header}`);
  }
  const n = rows.length;
  const prices: SamplePrices = {
    dates: [],
    open: new Float64Array(n),
    high: new Float64Array(n),
    low: new Float64Array(n),
    close: new Float64Array(n),
    volume: new Float64Array(n),
  };
  rows.forEach((row, i) => {
    const [date, open, high, low, close, adjClose, volume] = row.split(',');
    const factor = Number(adjClose) / Number(close);
    prices.dates.push(date ?? '');
    prices.open[i] = Number(open) * factor;
    prices.high[i] = Number(high) * factor;
    prices.low[i] = Number(low) * factor;
    prices.close[i] = Number(adjClose);
    prices.volume[i] = Number(volume);
  });
  return prices;
}
