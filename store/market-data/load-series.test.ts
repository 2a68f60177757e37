/** Loading series from files and from PostgreSQL gives the same bars, the same tick grid and the same backtest. */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../../core/engine/backtest.js';
import { priceView } from '../../core/series/price-series.js';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/database.js';
import { SAMPLE_DIR, tempFolder, writeCsv } from '../../test/helpers/fixtures.js';
import { FileRejected } from './bar-file.js';
import { importPaths } from './import-paths.js';
import { loadSeries, MissingDataError } from './load-series.js';
import { readSeriesFile } from './series-file.js';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
  await importPaths(db.pool, [
    path.join(SAMPLE_DIR, 'AAPL.csv.gz'),
    path.join(SAMPLE_DIR, 'KO.csv.gz'),
  ]);
});

afterAll(async () => {
  await db.drop();
});

describe('loadSeries', () => {
  it('reads the same bars from the database as from the files', async () => {
    const request = { symbols: ['AAPL', 'KO'], from: '2005-01-01', to: '2010-12-31' };
    const fromFiles = await loadSeries({ kind: 'files', path: SAMPLE_DIR }, request);
    const fromDb = await loadSeries({ kind: 'database', pool: db.pool }, request);
    for (const [k, series] of fromFiles.entries()) {
      const other = fromDb[k];
      expect(other?.dates).toEqual(series.dates);
      expect(other?.scale).toBe(series.scale);
      expect(Array.from(other?.close ?? [])).toEqual(Array.from(series.close));
      expect(Array.from(other?.adjClose ?? [])).toEqual(Array.from(series.adjClose));
    }
    const run = (views: typeof fromFiles) =>
      runBacktest({
        strategy: 'sma_cross',
        params: { fast: 10, slow: 30 },
        views: views.map((s) => priceView(s, 'raw')),
      });
    expect(run(fromDb).fills).toEqual(run(fromFiles).fills);
    expect(run(fromDb).finalEquity).toBe(run(fromFiles).finalEquity);
  });

  it('names the span of the data when the range holds no bars', async () => {
    await expect(
      loadSeries({ kind: 'database', pool: db.pool }, { symbols: ['KO'], from: '2025-01-01' }),
    ).rejects.toThrow(
      'no prices for KO between 2025-01-01 and the end; its data spans 1999-11-01 to 2021-04-21',
    );
    await expect(
      loadSeries({ kind: 'database', pool: db.pool }, { symbols: ['MSFT'] }),
    ).rejects.toBeInstanceOf(MissingDataError);
  });
});

describe('readSeriesFile', () => {
  it('sets the tick grid from the most decimal places and refuses bad rows with their line and column', async () => {
    const folder = await tempFolder();
    try {
      const good = await writeCsv(folder.dir, 'ABC.csv', [
        'Date,Open,High,Low,Close,Volume',
        '2020-01-02,10.5,11,10,10.125,100',
        '2020-01-03,10,10.5,9.5,10,200',
      ]);
      const series = await readSeriesFile(good);
      expect(series.scale).toBe(1000);
      expect(Array.from(series.adjClose)).toEqual([10.125, 10]);
      const bad = await writeCsv(folder.dir, 'BAD.csv', [
        'date,open,high,low,close,volume',
        '2020-01-02,10,11,9,10,100',
        '2020-01-03,10,11,9,abc,100',
      ]);
      await expect(readSeriesFile(bad)).rejects.toThrow(
        'BAD.csv line 3, column close, value "abc": prices must be numbers above 0',
      );
      const unsorted = await writeCsv(folder.dir, 'UNS.csv', [
        'date,open,high,low,close,volume',
        '2020-01-03,10,11,9,10,100',
        '2020-01-02,10,11,9,10,100',
      ]);
      await expect(readSeriesFile(unsorted)).rejects.toBeInstanceOf(FileRejected);
    } finally {
      await folder.cleanup();
    }
  });
});
