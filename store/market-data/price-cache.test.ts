/** The server's price cache: the same series as the database, from memory, and forgotten on any change from any pool. */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../config/logger.js';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/database.js';
import { SAMPLE_DIR, sampleLines, tempFolder, writeCsv } from '../../test/helpers/fixtures.js';
import { createPool, type Pool } from '../db/pool.js';
import { readSeries } from '../repos/series-repo.js';
import { importPaths } from './import-paths.js';
import { loadSeries } from './load-series.js';
import {
  attachPriceCache,
  createPriceCache,
  type PriceCache,
  priceCacheOf,
} from './price-cache.js';
import { listSymbols } from './universe.js';

let db: TestDatabase;
/** Another pool on the same database: the importing "process". */
let other: Pool;
let cache: PriceCache;
const folder = await tempFolder();

beforeAll(async () => {
  db = await createTestDatabase();
  await importPaths(db.pool, [
    path.join(SAMPLE_DIR, 'AAPL.csv.gz'),
    path.join(SAMPLE_DIR, 'KO.csv.gz'),
  ]);
  other = createPool(db.url, { max: 2 });
  cache = await createPriceCache(db.pool, { logger: silentLogger() });
  attachPriceCache(db.pool, cache);
});

afterAll(async () => {
  await cache?.close();
  await other?.end();
  await db?.drop();
  await folder.cleanup();
});

/** Polls `check` until it holds (the notification arrives asynchronously), at most 5 s. */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  const until = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('the cache did not see the change within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('price cache', () => {
  it('answers the same series as the database, from memory on the second read', async () => {
    expect(cache.listening).toBe(true);
    expect(priceCacheOf(db.pool)).toBe(cache);
    const direct = await readSeries(db.pool, ['AAPL', 'KO']);
    const [aapl, ko] = await cache.series(['AAPL', 'KO']);
    expect(aapl?.dates).toEqual(direct.get('AAPL')?.dates);
    expect(Array.from(aapl?.close ?? [])).toEqual(Array.from(direct.get('AAPL')?.close ?? []));
    expect(Array.from(ko?.adjClose ?? [])).toEqual(Array.from(direct.get('KO')?.adjClose ?? []));
    expect(aapl?.scale).toBe(direct.get('AAPL')?.scale);
    const [again] = await cache.series(['AAPL']);
    expect(again).toBe(aapl); // the same object: no database read
    // loadSeries on the pool goes through the cache and slices its arrays.
    const [sliced] = await loadSeries(
      { kind: 'database', pool: db.pool },
      { symbols: ['AAPL'], from: '2010-01-01', to: '2010-12-31' },
    );
    expect(sliced?.close.buffer).toBe(aapl?.close.buffer);
    expect(sliced?.dates[0]).toBe('2010-01-04');
    expect(await listSymbols({ kind: 'database', pool: db.pool })).toEqual(['AAPL', 'KO']);
    expect(await cache.lastDate()).toBe('2021-04-21');
    expect(cache.stats()).toMatchObject({ symbols: 2 });
    expect(cache.stats().bytes).toBe(cache.stats().bars * 56);
  });

  it('sees bars imported through another pool after the notification', async () => {
    await cache.warm();
    expect(await cache.symbols()).toEqual(['AAPL', 'KO']);
    const [header, ...rows] = await sampleLines('MSFT');
    const file = await writeCsv(folder.dir, 'MSFT.csv', [header as string, ...rows.slice(0, 300)]);
    await importPaths(other, [file]);
    await eventually(async () => (await cache.symbols()).includes('MSFT'));
    const [msft] = await cache.series(['MSFT']);
    expect(msft?.dates).toHaveLength(300);
    expect(await cache.lastDate()).toBe('2021-04-21');
  });

  it('forgets a changed close written by another connection', async () => {
    const [before] = await cache.series(['KO']);
    const last = before?.dates.at(-1) as string;
    const old = before?.close.at(-1) as number;
    await other.query(
      'UPDATE daily_bars SET close = close + 1, high = high + 1, adj_close = adj_close + 1 WHERE symbol = $1 AND date = $2',
      ['KO', last],
    );
    await eventually(async () => (await cache.series(['KO']))[0]?.close.at(-1) !== old);
    const [after] = await cache.series(['KO']);
    expect(after?.close.at(-1)).toBeCloseTo(old + 1, 9);
    expect(before?.close.at(-1)).toBe(old); // a series already handed out never changes
  });

  it('reads the database when it is not listening', async () => {
    const closed = await createPriceCache(db.pool, { logger: silentLogger() });
    await closed.close();
    expect(closed.listening).toBe(false);
    const [first] = await closed.series(['AAPL']);
    const [second] = await closed.series(['AAPL']);
    expect(first?.dates.length).toBeGreaterThan(5000);
    expect(second).not.toBe(first);
    expect(await closed.symbols()).toEqual(['AAPL', 'KO', 'MSFT']);
    const [none] = await closed.series(['ZZZZ']);
    expect(none?.dates).toEqual([]);
  });
});
