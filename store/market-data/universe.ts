/**
 * The universe a portfolio or screen runs over: which symbols have prices, and their sectors,
 * from a folder of CSV files (`--data`) or from the database.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { PriceSeries } from '../../core/series/price-series.js';
import { symbolFromFileName } from './bar-file.js';
import { readInstruments } from './import-instruments-file.js';
import { loadSeries, MissingDataError, type SeriesSource } from './load-series.js';
import { priceCacheOf } from './price-cache.js';

/** The file a folder's sectors are read from (the layout of `data/sample` and the S&P 500 set). */
export const CONSTITUENTS_FILE = 'constituents.csv';

/** Every symbol with prices: the SYMBOL.csv(.gz) files of a folder, or the symbols in daily_bars. */
export async function listSymbols(source: SeriesSource): Promise<string[]> {
  if (source.kind === 'database') {
    const cache = priceCacheOf(source.pool);
    const symbols = cache
      ? await cache.symbols()
      : (
          await source.pool.query<{ symbol: string }>(
            'SELECT DISTINCT symbol FROM daily_bars ORDER BY symbol',
          )
        ).rows.map((row) => row.symbol);
    if (symbols.length === 0)
      throw new MissingDataError(
        'the database holds no prices; import some with `countersign import <files>`',
      );
    return symbols;
  }
  const info = await stat(source.path).catch(() => undefined);
  if (!info?.isDirectory())
    throw new MissingDataError(`--data ${source.path}: not a folder of SYMBOL.csv(.gz) files`);
  const names = (await readdir(source.path)).filter(
    (name) => /\.csv(\.gz)?$/i.test(name) && name.toLowerCase() !== CONSTITUENTS_FILE,
  );
  const symbols = [...new Set(names.map(symbolFromFileName))].sort();
  if (symbols.length === 0)
    throw new MissingDataError(`--data ${source.path} holds no SYMBOL.csv(.gz) files`);
  return symbols;
}

/**
 * Sectors by symbol: the instruments table, or the folder's constituents.csv (Symbol,Name,Sector).
 * Symbols without one are left out; a folder without the file gives none.
 */
export async function loadSectors(
  source: SeriesSource,
  symbols: string[],
): Promise<Record<string, string>> {
  const wanted = new Set(symbols);
  const out: Record<string, string> = {};
  if (source.kind === 'database') {
    const { rows } = await source.pool.query<{ symbol: string; sector: string }>(
      'SELECT symbol, sector FROM instruments WHERE symbol = ANY($1) AND sector IS NOT NULL',
      [symbols],
    );
    for (const row of rows) out[row.symbol] = row.sector;
    return out;
  }
  const info = await stat(source.path).catch(() => undefined);
  const file = path.join(
    info?.isDirectory() ? source.path : path.dirname(source.path),
    CONSTITUENTS_FILE,
  );
  if (!(await stat(file).catch(() => undefined))?.isFile()) return out;
  for (const row of await readInstruments(file))
    if (row.sector && wanted.has(row.symbol)) out[row.symbol] = row.sector;
  return out;
}

/** The series and sectors of `symbols` (or of every symbol when `symbols` is 'all'). */
export async function loadUniverse(
  source: SeriesSource,
  request: { symbols: string[] | 'all'; from?: string; to?: string },
): Promise<{ series: PriceSeries[]; sectors: Record<string, string> }> {
  const symbols = request.symbols === 'all' ? await listSymbols(source) : request.symbols;
  const [series, sectors] = await Promise.all([
    loadSeries(source, { symbols, from: request.from, to: request.to }),
    loadSectors(source, symbols),
  ]);
  return { series, sectors };
}
