/** Where a research tool reads daily bars: the files a transport named (the CLI's --data), else the database. */
import type { SeriesSource } from '../store/market-data/load-series.js';
import type { ToolContext } from './tool.js';

/** The bar source of this call: `context.seriesFiles` when set, the database otherwise. */
export function seriesSourceOf(context: Pick<ToolContext, 'pool' | 'seriesFiles'>): SeriesSource {
  return context.seriesFiles !== undefined
    ? { kind: 'files', path: context.seriesFiles }
    : { kind: 'database', pool: context.pool };
}
