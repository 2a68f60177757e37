/** Getting the bars a CLI run needs: from --data files, or from the database (the running server's, if any). */
import { loadConfig } from '../config/env.js';
import { createLogger } from '../config/logger.js';
import {
  type BarView,
  type PriceMode,
  type PriceSeries,
  priceView,
} from '../core/series/price-series.js';
import { openDatabase } from '../store/db/open-database.js';
import { loadSeries } from '../store/market-data/load-series.js';

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
export async function loadDatabaseSeries(range: {
  symbols: string[];
  from?: string;
  to?: string;
}): Promise<PriceSeries[]> {
  const config = loadConfig();
  const logger = createLogger({
    level: config.logLevel === 'info' ? 'warn' : config.logLevel,
    stream: 'stderr',
  });
  const database = await openDatabase({
    config,
    logger,
    attach: true,
    poolSize: 4,
    applicationName: 'countersign-research',
  });
  try {
    return await loadSeries({ kind: 'database', pool: database.pool }, range);
  } finally {
    await database.close();
  }
}
