/** The bundled sample prices as PriceSeries, for core tests that need real multi-symbol data. */
import type { PriceSeries } from '../../core/series/price-series.js';
import { loadSeries } from '../../store/market-data/load-series.js';
import { SAMPLE_DIR } from './fixtures.js';

/** The sample files of `symbols`, full history, in the order asked. */
export function loadSampleSeries(symbols: string[]): Promise<PriceSeries[]> {
  return loadSeries({ kind: 'files', path: SAMPLE_DIR }, { symbols });
}
