/**
 * Reads through the real server (startServer, over HTTP on a throwaway database): screen_stocks
 * and a one-symbol run_backtest over REST with the price cache, first on the bundled sample (44
 * symbols) and then, after importing all 504 S&P 500 files through another pool (which must
 * invalidate the server's cache by NOTIFY), on the full set; with the cache's size and the
 * process's resident memory.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../config/app-info.js';
import type { Config } from '../config/env.js';
import { silentLogger } from '../config/logger.js';
import { startServer } from '../server/start.js';
import { createPool } from '../store/db/pool.js';
import { importPaths } from '../store/market-data/import-paths.js';
import { priceCacheOf } from '../store/market-data/price-cache.js';
import { createApiToken } from '../store/repos/api-tokens-repo.js';
import { freePort } from '../test/helpers/cli.js';
import { freshDatabase } from './fresh-database.js';

const UNIVERSE = path.resolve(PROJECT_ROOT, '..', 'shared', 'data', 'sp500-daily');
const CALLS = 100;
const WARMUP = 3;

const ms = (value: number) => Math.round(value * 100) / 100;
const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
}

export async function benchPrices(config: Config, emit: (line: object) => void): Promise<void> {
  const database = await freshDatabase(config);
  const port = await freePort();
  const server = await startServer({
    config: { ...config, databaseUrl: database.url, http: { host: '127.0.0.1', port } },
    logger: silentLogger(),
  });
  const importer = createPool(database.url, { max: 4 });
  try {
    const pool = server.database.pool;
    const cache = priceCacheOf(pool);
    if (!cache?.listening) throw new Error('the server has no listening price cache');
    let tokenCount = 0;
    // A token per series of calls: the per-principal rate limit is not what is measured.
    const token = () =>
      createApiToken(pool, {
        principal: `bench-prices-${tokenCount++}`,
        role: 'trader',
        scopes: ['read'],
      });
    const call = async (bearer: string, tool: string, body: object) => {
      const started = performance.now();
      const response = await fetch(`${server.url}/api/tools/${tool}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      const elapsed = performance.now() - started;
      if (!response.ok) throw new Error(`${tool}: HTTP ${response.status} ${text.slice(0, 300)}`);
      return { elapsed, output: JSON.parse(text) as Record<string, unknown> };
    };
    /** Loads every series into the (just emptied) cache, then measures both tools over REST. */
    const measure = async (dataset: string) => {
      const first = performance.now();
      const symbols = (await cache.symbols()).length;
      const loadMs = performance.now() - first;
      const stats = cache.stats();
      global.gc?.();
      emit({
        bench: 'price_cache_load',
        dataset,
        symbols: stats.symbols,
        bars: stats.bars,
        load_ms: ms(loadMs),
        cache_mib: mib(stats.bytes),
        rss_mib: mib(process.memoryUsage().rss),
        heap_used_mib: mib(process.memoryUsage().heapUsed),
      });
      for (const [tool, body, target] of [
        ['screen_stocks', {}, 100],
        ['run_backtest', { strategy: 'sma_cross', symbols: ['AAPL'] }, 20],
      ] as const) {
        const bearer = await token();
        for (let k = 0; k < WARMUP; k++) await call(bearer, tool, body);
        const laps: number[] = [];
        let output: Record<string, unknown> = {};
        for (let k = 0; k < CALLS; k++) {
          const result = await call(bearer, tool, body);
          laps.push(result.elapsed);
          output = result.output;
        }
        laps.sort((a, b) => a - b);
        emit({
          bench: `${tool}_rest`,
          dataset,
          symbols,
          calls: CALLS,
          ...(tool === 'screen_stocks'
            ? {
                universe:
                  (output.structuredContent as { universe?: number })?.universe ?? output.universe,
              }
            : {}),
          p50_ms: ms(percentile(laps, 0.5)),
          p95_ms: ms(percentile(laps, 0.95)),
          max_ms: ms(laps.at(-1) as number),
          target_p95_ms: target,
        });
      }
    };

    console.error('[bench] price reads through the server: sample (44 symbols)…');
    // Empty the cache (as an import would) so that the first load is measured too.
    await pool.query('UPDATE daily_bars SET volume = volume WHERE false');
    const ready = cache.stats().invalidations;
    while (cache.stats().invalidations === ready) await new Promise((r) => setTimeout(r, 10));
    await measure('sample');
    if (!existsSync(UNIVERSE)) {
      console.error(`[bench] ${UNIVERSE} not found: skipping the 504-symbol run`);
      return;
    }
    console.error('[bench] importing all 504 symbols through another pool…');
    const before = cache.stats().invalidations;
    await importPaths(importer, [UNIVERSE]);
    const until = Date.now() + 10_000;
    while (cache.stats().invalidations === before && Date.now() < until)
      await new Promise((resolve) => setTimeout(resolve, 20));
    if (cache.stats().invalidations === before)
      throw new Error('the server cache was not invalidated by the import');
    await measure('sp500-daily');
  } finally {
    await importer.end();
    await server.stop();
    await database.dispose();
  }
}
