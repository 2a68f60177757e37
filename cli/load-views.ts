/** Getting the bars a CLI run needs: from --data files, or from the database (the running server's, if any). */
import {
  type BarView,
  type PriceMode,
  type PriceSeries,
  priceView,
} from '../core/series/price-series.js';
import { loadSeries } from '../store/market-data/load-series.js';
import { withSeriesSource } from './research-source.js';

/** Loads the symbols' bars in [from, to] as views in `mode`; closes any database it opened. */
export async function loadViews(request: {
  symbols: string[];
  from?: string;
  to?: string;
  data?: string;
  priceMode: PriceMode;
}): Promise<BarView[]> {
  const range = { symbols: request.symbols, from: request.from, to: request.to };
  if (request.data !== undefined) {
    const series = await loadSeries({ kind: 'files', path: request.data }, range);
    return series.map((one) => priceView(one, request.priceMode));
  }
  const series = await loadDatabaseSeries(range);
  return series.map((one) => priceView(one, request.priceMode));
}

/** Loads the symbols' series from the database (the running server's embedded one, if any). */
export function loadDatabaseSeries(range: {
  symbols: string[];
  from?: string;
  to?: string;
}): Promise<PriceSeries[]> {
  return withSeriesSource(undefined, (source) => loadSeries(source, range));
}
