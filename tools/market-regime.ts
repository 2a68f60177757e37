/**
 * The market regime for a tool's answer (models/regime.ts), over every stored symbol — the
 * market, not the symbols a call named. The whole history's labels are computed once and kept
 * until the prices change (the price cache's invalidation count), or per files folder.
 * `latestMarketRegime` is the label of the newest stored day (get_portfolio, the daily summary).
 */
import { z } from 'zod';
import {
  marketRegimes,
  REGIMES,
  type RegimeDay,
  type RegimeSeries,
  regimeOn,
} from '../models/regime.js';
import { priceCacheOf } from '../store/market-data/price-cache.js';
import { loadUniverse } from '../store/market-data/universe.js';
import { seriesSourceOf } from './series-source.js';
import type { ToolContext } from './tool.js';

/** A day's regime as tools answer it. */
export const regimeSchema = z.object({
  date: z.string(),
  regime: z.enum(REGIMES),
  trend_63d: z.number().describe("Equal-weight index's 63-day log return."),
  volatility_21d: z.number().describe('Its 21-day volatility, annualized.'),
  volatility_median: z.number().describe('The calm/volatile line: median of past volatility.'),
});

const kept = new WeakMap<object, { key: string; regimes: Promise<RegimeSeries> }>();

export async function regimesOf(
  context: Pick<ToolContext, 'pool' | 'seriesFiles'>,
): Promise<RegimeSeries> {
  const source = seriesSourceOf(context);
  const cache = source.kind === 'database' ? priceCacheOf(context.pool) : undefined;
  // Without the price cache's listener (the CLI, tests) the newest bar date stands in for "the
  // prices changed": a correction of old bars alone is seen on the next new trading day.
  const key =
    source.kind === 'files'
      ? `files:${source.path}`
      : cache?.listening
        ? `db:${cache.stats().invalidations}`
        : `db-last:${(await context.pool.query<{ last: string | null }>('SELECT max(date)::text AS last FROM daily_bars')).rows[0]?.last}`;
  const known = kept.get(context.pool);
  if (key !== undefined && known?.key === key) return known.regimes;
  const regimes = loadUniverse(source, { symbols: 'all' }).then(({ series }) =>
    marketRegimes(series),
  );
  if (key !== undefined) {
    kept.set(context.pool, { key, regimes });
    regimes.catch(() => kept.delete(context.pool));
  }
  return regimes;
}

/** The regime of the last trading day on or before `date`; undefined with under 63 days of prices. */
export async function marketRegimeAt(
  context: Pick<ToolContext, 'pool' | 'seriesFiles'>,
  date: string,
): Promise<RegimeDay | undefined> {
  return regimeOn(await regimesOf(context), date);
}

/** The regime of the newest stored trading day, or undefined with no (or too few) prices. */
export async function latestMarketRegime(
  context: Pick<ToolContext, 'pool' | 'seriesFiles'>,
): Promise<RegimeDay | undefined> {
  const { dates, days } = await regimesOf(context);
  return dates.length > 0 ? days[dates.length - 1] : undefined;
}
