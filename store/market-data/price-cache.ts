/**
 * Price series kept in memory by a server, so that a screen over 500 symbols or a backtest does
 * not read millions of rows per call. Like the token cache (store/repos/token-cache.ts), it keeps
 * series only while it listens on PostgreSQL's `countersign_bars_changed` channel: a trigger on
 * daily_bars (migration 20261204000000000) notifies it at the commit of any import or change,
 * from any process, and it then forgets everything and reloads on the next read. Without the
 * listener (not connected yet, or dropped) every read goes to the database, as before.
 *
 * A server attaches its cache to its pool (attachPriceCache); loadSeries and the universe
 * reads find it there (priceCacheOf), so every channel's tool calls share it with no extra plumbing.
 */
import type { Logger } from '../../config/logger.js';
import type { PriceSeries } from '../../core/series/price-series.js';
import { type ChangeListener, listenForChanges } from '../db/change-listener.js';
import type { Pool } from '../db/pool.js';
import { readSeries } from '../repos/series-repo.js';

/** The channel the daily_bars trigger notifies (migration 20261204000000000). */
export const BARS_CHANGED_CHANNEL = 'countersign_bars_changed';

/** What a cache holds now. */
export interface PriceCacheStats {
  symbols: number;
  bars: number;
  /** Bytes of the typed-array columns (6 × 8 per bar) plus the dates' pointers (8 per bar). */
  bytes: number;
  /** Series loads from the database since the start. */
  loads: number;
  /** Times the cache was emptied by a notification or a lost listener. */
  invalidations: number;
}

/** Series from memory when they can be trusted, from the database otherwise. */
export interface PriceCache {
  /** Each symbol's whole history, in the order asked (empty when the symbol has no bars). */
  series(symbols: string[]): Promise<PriceSeries[]>;
  /** Every symbol with bars, sorted. */
  symbols(): Promise<string[]>;
  /** The latest bar date of any symbol, or undefined with no prices. */
  lastDate(): Promise<string | undefined>;
  /** Loads every symbol now (a server calls it after start-up, in the background). */
  warm(): Promise<void>;
  /** True while the listener is connected and series are kept. */
  readonly listening: boolean;
  stats(): PriceCacheStats;
  close(): Promise<void>;
}

export interface PriceCacheOptions {
  logger: Logger;
  /** Wait before reconnecting a dropped listener (default 5 s). */
  retryMs?: number;
}

const attached = new WeakMap<Pool, PriceCache>();

/** Makes `cache` the one every series read on `pool` goes through. */
export function attachPriceCache(pool: Pool, cache: PriceCache): void {
  attached.set(pool, cache);
}

/** The cache attached to `pool`, if any (a CLI run or a test reads the database directly). */
export function priceCacheOf(pool: Pool): PriceCache | undefined {
  return attached.get(pool);
}

async function allSymbols(pool: Pool): Promise<string[]> {
  const { rows } = await pool.query<{ symbol: string }>(
    'SELECT DISTINCT symbol FROM daily_bars ORDER BY symbol',
  );
  return rows.map((row) => row.symbol);
}

/** A cache over `pool`; it starts listening before it resolves (and loads nothing yet). */
export async function createPriceCache(
  pool: Pool,
  options: PriceCacheOptions,
): Promise<PriceCache> {
  const retryMs = options.retryMs ?? 5_000;
  const entries = new Map<string, PriceSeries>();
  // One string per date across all symbols; kept across invalidations (dates do not change).
  const dates = new Map<string, string>();
  // Every symbol with bars, once a full load has run since the last change.
  let universe: string[] | undefined;
  let loadingAll: Promise<void> | undefined;
  // Bumped by every forget: a load that started before a change must not store its answer.
  let generation = 0;
  let loads = 0;
  let invalidations = 0;
  let changes: ChangeListener | undefined;
  const isListening = () => changes?.listening === true;

  const forget = () => {
    generation++;
    invalidations++;
    entries.clear();
    universe = undefined;
    loadingAll = undefined;
  };

  const loadAll = (): Promise<void> => {
    if (universe) return Promise.resolve();
    if (loadingAll) return loadingAll;
    const started = generation;
    const loading = (async () => {
      const symbols = await allSymbols(pool);
      const missing = symbols.filter((symbol) => !entries.has(symbol));
      const loaded = await readSeries(pool, missing, dates);
      loads++;
      if (!isListening() || generation !== started) return;
      for (const [symbol, series] of loaded) entries.set(symbol, series);
      universe = symbols;
    })();
    loadingAll = loading;
    // A failed load is not remembered: the next read tries again.
    loading.catch(() => {
      if (loadingAll === loading) loadingAll = undefined;
    });
    return loading;
  };

  const series = async (symbols: string[]): Promise<PriceSeries[]> => {
    if (!isListening()) {
      const loaded = await readSeries(pool, symbols, dates);
      return symbols.map((symbol) => loaded.get(symbol) as PriceSeries);
    }
    if (loadingAll) await loadingAll.catch(() => undefined);
    const known = universe ? new Set(universe) : undefined;
    // With the universe known, a symbol not in it has no bars: no query needed.
    const missing = symbols.filter((s) => !entries.has(s) && (known === undefined || known.has(s)));
    let fetched: Map<string, PriceSeries> | undefined;
    if (missing.length > 0) {
      const started = generation;
      fetched = await readSeries(pool, missing, dates);
      loads++;
      if (isListening() && generation === started)
        for (const [symbol, one] of fetched) if (one.dates.length > 0) entries.set(symbol, one);
    }
    return symbols.map(
      (symbol) =>
        entries.get(symbol) ??
        fetched?.get(symbol) ?? {
          symbol,
          dates: [],
          open: new Float64Array(0),
          high: new Float64Array(0),
          low: new Float64Array(0),
          close: new Float64Array(0),
          adjClose: new Float64Array(0),
          volume: new Float64Array(0),
          scale: 1,
        },
    );
  };

  changes = await listenForChanges(pool, {
    channel: BARS_CHANGED_CHANNEL,
    applicationName: 'countersign-price-cache',
    logger: options.logger,
    lostMessage:
      'price cache: lost the bars-change listener; reading prices from the database until it is back',
    retryMs,
    onChange: forget,
  });

  return {
    get listening() {
      return isListening();
    },
    series,
    async symbols() {
      if (!isListening()) return allSymbols(pool);
      await loadAll();
      return universe ?? allSymbols(pool);
    },
    async lastDate() {
      if (isListening()) {
        await loadAll();
        if (universe) {
          let last: string | undefined;
          for (const one of entries.values()) {
            const date = one.dates[one.dates.length - 1];
            if (date !== undefined && (last === undefined || date > last)) last = date;
          }
          return last;
        }
      }
      const { rows } = await pool.query<{ last: string | null }>(
        'SELECT max(date) AS last FROM daily_bars',
      );
      return rows[0]?.last ?? undefined;
    },
    async warm() {
      if (isListening()) await loadAll();
    },
    stats() {
      let bars = 0;
      for (const one of entries.values()) bars += one.dates.length;
      return { symbols: entries.size, bars, bytes: bars * 7 * 8, loads, invalidations };
    },
    close: async () => {
      await changes?.close();
    },
  };
}
