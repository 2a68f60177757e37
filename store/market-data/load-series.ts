/** Loading the price series a backtest needs: from CSV files (`--data`) or from the database. */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { type PriceSeries, sliceSeries } from '../../core/series/price-series.js';
import type { Pool } from '../db/pool.js';
import { readSeries } from '../repos/series-repo.js';
import { symbolFromFileName } from './bar-file.js';
import { priceCacheOf } from './price-cache.js';
import { readSeriesFile } from './series-file.js';

/** Data the caller asked for that is not there; the message says what was looked for. */
export class MissingDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MissingDataError';
  }
}

/** Where bars come from: a CSV file or folder, or the database. */
export type SeriesSource = { kind: 'files'; path: string } | { kind: 'database'; pool: Pool };

/** What to load: symbols (upper-case tickers) and an inclusive ISO date range (either end open). */
export interface SeriesRequest {
  symbols: string[];
  from?: string;
  to?: string;
}

async function fileFor(dir: string, symbol: string): Promise<string> {
  for (const name of [`${symbol}.csv`, `${symbol}.csv.gz`]) {
    const candidate = path.join(dir, name);
    if ((await stat(candidate).catch(() => undefined))?.isFile()) return candidate;
  }
  throw new MissingDataError(
    `no file for ${symbol} in ${dir} (looked for ${symbol}.csv and ${symbol}.csv.gz)`,
  );
}

/** Files for each symbol: one per symbol in a folder, or the one file given (its name must be a requested symbol). */
export async function filesFor(source: string, symbols: string[]): Promise<string[]> {
  const info = await stat(source).catch(() => undefined);
  if (!info) throw new MissingDataError(`--data ${source}: no such file or folder`);
  if (info.isDirectory()) return Promise.all(symbols.map((symbol) => fileFor(source, symbol)));
  const symbol = symbolFromFileName(source);
  if (symbols.length !== 1 || symbols[0] !== symbol) {
    throw new MissingDataError(
      `--data ${source} holds only ${symbol}, but the symbols asked for are ${symbols.join(', ')}; give a folder of SYMBOL.csv(.gz) files for several symbols`,
    );
  }
  return [source];
}

async function databaseSeries(pool: Pool, symbols: string[]): Promise<PriceSeries[]> {
  const cache = priceCacheOf(pool);
  if (cache) return cache.series(symbols);
  const loaded = await readSeries(pool, symbols);
  return symbols.map((symbol) => loaded.get(symbol) as PriceSeries);
}

/**
 * Loads and date-slices each symbol; a symbol with no bars in the range is an error naming its
 * span. From the database, a server's price cache answers when one is attached to the pool
 * (slices share its arrays: nothing here writes to a series).
 */
export async function loadSeries(
  source: SeriesSource,
  request: SeriesRequest,
): Promise<PriceSeries[]> {
  const { symbols, from, to } = request;
  const full =
    source.kind === 'files'
      ? await Promise.all(
          (await filesFor(source.path, symbols)).map((file) => readSeriesFile(file)),
        )
      : await databaseSeries(source.pool, symbols);
  return full.map((series, k) => {
    const symbol = symbols[k] as string;
    if (series.dates.length === 0) {
      throw new MissingDataError(
        source.kind === 'database'
          ? `no prices for ${symbol} in the database; import them with \`countersign import <file>\``
          : `no prices for ${symbol} in its file`,
      );
    }
    const sliced = sliceSeries(series, from, to);
    if (sliced.dates.length === 0) {
      throw new MissingDataError(
        `no prices for ${symbol} between ${from ?? 'the start'} and ${to ?? 'the end'}; its data spans ${series.dates[0]} to ${series.dates[series.dates.length - 1]}`,
      );
    }
    return sliced;
  });
}
