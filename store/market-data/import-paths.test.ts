import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/database.js';
import { SAMPLE_DIR, sampleLines, tempFolder, writeCsv } from '../../test/helpers/fixtures.js';
import { importBarFile } from './import-bar-file.js';
import { importPaths } from './import-paths.js';

/** Row count and a checksum over every bar, in key order: equal before and after means unchanged. */
async function fingerprint(db: TestDatabase) {
  const { rows } = await db.pool.query<{
    bars: string;
    instruments: string;
    checksum: string | null;
  }>(
    `SELECT (SELECT count(*) FROM daily_bars) AS bars, (SELECT count(*) FROM instruments) AS instruments,
            (SELECT md5(string_agg(b::text, '|' ORDER BY symbol, date)) FROM daily_bars b) AS checksum`,
  );
  return rows[0];
}

describe('importing price files', () => {
  let db: TestDatabase;
  let folder: { dir: string; cleanup: () => Promise<void> };
  let aapl: string[];

  beforeAll(async () => {
    db = await createTestDatabase();
    folder = await tempFolder();
    aapl = await sampleLines('AAPL');
  });
  afterAll(async () => {
    await db.drop();
    await folder.cleanup();
  });

  it('stores every row of a file exactly as written (no float round trip)', async () => {
    const result = await importBarFile(db.pool, path.join(SAMPLE_DIR, 'AAPL.csv.gz'));
    expect(result).toMatchObject({
      ok: true,
      kind: 'bars',
      symbol: 'AAPL',
      rows: aapl.length - 1,
      inserted: aapl.length - 1,
    });
    const { rows } = await db.pool.query(
      `SELECT date, open, high, low, close, adj_close, volume, dividend, split FROM daily_bars
        WHERE symbol = 'AAPL' ORDER BY date LIMIT 1`,
    );
    // 1999-11-01,80.0,80.69,77.37,77.62,0.596878742448,2487300,0.0,1.0
    expect(rows[0]).toEqual({
      date: '1999-11-01',
      open: '80.0',
      high: '80.69',
      low: '77.37',
      close: '77.62',
      adj_close: '0.596878742448',
      volume: '2487300',
      dividend: '0.0',
      split: '1.0',
    });
  });

  it('changes nothing when the same file is imported again: not even row versions', async () => {
    const before = await fingerprint(db);
    const versions = await db.pool.query(
      "SELECT md5(string_agg(xmin::text, ',' ORDER BY date)) AS v FROM daily_bars WHERE symbol = 'AAPL'",
    );
    const result = await importBarFile(db.pool, path.join(SAMPLE_DIR, 'AAPL.csv.gz'));
    expect(result).toMatchObject({ ok: true, inserted: 0, updated: 0, unchanged: aapl.length - 1 });
    expect(await fingerprint(db)).toEqual(before);
    const after = await db.pool.query(
      "SELECT md5(string_agg(xmin::text, ',' ORDER BY date)) AS v FROM daily_bars WHERE symbol = 'AAPL'",
    );
    expect(after.rows[0]).toEqual(versions.rows[0]);
  });

  it('upserts: a corrected row is updated and a new day is added', async () => {
    const lines = [...aapl];
    const last = lines.length - 1;
    // Correct the last day's volume, and append a day.
    lines[last] = (lines[last] as string).replace(/,(\d+),0\.0,1\.0$/, ',123,0.0,1.0');
    lines.push('2021-04-22,134.0,135.0,133.0,134.5,134.5,1000,0.0,1.0');
    const file = await writeCsv(folder.dir, 'AAPL.csv', lines);
    const result = await importBarFile(db.pool, file);
    expect(result).toMatchObject({ ok: true, inserted: 1, updated: 1, unchanged: aapl.length - 2 });
    const { rows } = await db.pool.query(
      "SELECT date, volume FROM daily_bars WHERE symbol = 'AAPL' ORDER BY date DESC LIMIT 2",
    );
    expect(rows).toEqual([
      { date: '2021-04-22', volume: '1000' },
      { date: '2021-04-21', volume: '123' },
    ]);
  });

  it.each([
    [
      'a non-numeric price',
      (cells: string[]) => {
        cells[4] = 'n/a';
      },
      'close',
      'n/a',
      'not a number',
    ],
    [
      'a negative price',
      (cells: string[]) => {
        cells[3] = '-1';
      },
      'low',
      '-1',
      'negative',
    ],
    [
      'high below low',
      (cells: string[]) => {
        cells[2] = '1.0';
      },
      'high',
      '1.0',
      'high must be ≥ low',
    ],
    [
      'close outside [low, high]',
      (cells: string[]) => {
        cells[4] = '999.0';
      },
      'close',
      '999.0',
      'outside [low, high]',
    ],
  ])(
    'refuses a whole file with %s near its end and leaves the database exactly as it was',
    async (_name, corrupt, column, value, reason) => {
      const lines = [...aapl];
      const line = lines.length - 3; // 0-based index; the file's line number is index + 1
      const cells = (lines[line] as string).split(',');
      corrupt(cells);
      lines[line] = cells.join(',');
      lines.push('2021-04-23,1,2,1,1.5,1.5,10,0.0,1.0'); // a new row before the bad one would be written…
      const file = await writeCsv(folder.dir, 'AAPL.csv.gz', lines);
      const before = await fingerprint(db);
      const result = await importBarFile(db.pool, file);
      expect(result).toEqual({
        ok: false,
        file,
        problem: { file, line: line + 1, column, value, reason: expect.stringContaining(reason) },
      });
      expect(await fingerprint(db)).toEqual(before); // …but nothing of the file is.
    },
  );

  it('refuses duplicate and unsorted dates, and a missing column, for a symbol not yet known (no instrument is left behind)', async () => {
    const before = await fingerprint(db);
    const header = 'date,open,high,low,close,adj_close,volume,dividend,split';
    const row = (date: string) => `${date},10,11,9,10.5,10.5,100,0.0,1.0`;
    const cases = [
      {
        lines: [header, row('2020-01-02'), row('2020-01-03'), row('2020-01-03')],
        line: 4,
        reason: 'duplicate date',
      },
      { lines: [header, row('2020-01-03'), row('2020-01-02')], line: 3, reason: 'unsorted date' },
      {
        lines: ['date,open,high,low,close', row('2020-01-02')],
        line: 1,
        reason: 'missing column "volume"',
      },
      { lines: [header], line: 2, reason: 'no rows' },
    ];
    for (const { lines, line, reason } of cases) {
      const file = await writeCsv(folder.dir, 'NEWCO.csv', lines);
      const result = await importBarFile(db.pool, file);
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.problem.line).toBe(line);
        expect(result.problem.reason).toContain(reason);
      }
    }
    expect(await fingerprint(db)).toEqual(before);
  });

  it('refuses unreadable files with a reason instead of crashing', async () => {
    const corrupt = path.join(folder.dir, 'BAD.csv.gz');
    await writeFile(corrupt, Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02, 0x03]));
    const summary = await importPaths(db.pool, [corrupt, path.join(folder.dir, 'NOPE.csv')]);
    expect(summary.rejected).toBe(2);
    const reasons = summary.results.map((result) => (result.ok ? '' : result.problem.reason));
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.stringContaining('not a readable gzip file'),
        expect.stringContaining('ENOENT'),
      ]),
    );
  });

  it('refuses a file whose name is not a ticker', async () => {
    const file = await writeCsv(folder.dir, 'my prices.csv', ['date,open,high,low,close,volume']);
    const result = await importBarFile(db.pool, file);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem.reason).toContain('not a ticker');
  });
});

describe('importing a folder', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('loads the whole sample with names and sectors, reports progress, and changes nothing the second time', async () => {
    const progress: number[] = [];
    const first = await importPaths(db.pool, [SAMPLE_DIR], {
      concurrency: 3,
      onProgress: (p) => progress.push(p.bytesDone / p.bytesTotal),
    });
    expect(first.rejected).toBe(0);
    expect(first.files).toBe(45);
    expect(first.rows).toBe(236_483);
    expect(first.inserted).toBe(236_483);
    expect(progress.at(-1)).toBe(1);
    expect(progress.every((value, i) => i === 0 || value >= (progress[i - 1] as number))).toBe(
      true,
    );

    const { rows } = await db.pool.query(
      "SELECT symbol, name, sector FROM instruments WHERE symbol IN ('BRK.B', 'XOM') ORDER BY symbol",
    );
    expect(rows).toEqual([
      { symbol: 'BRK.B', name: 'Berkshire Hathaway', sector: 'Financials' },
      { symbol: 'XOM', name: 'Exxon Mobil Corp.', sector: 'Energy' },
    ]);
    const sectors = await db.pool.query('SELECT count(DISTINCT sector) AS n FROM instruments');
    expect(sectors.rows[0]).toEqual({ n: '11' });

    const second = await importPaths(db.pool, [SAMPLE_DIR]);
    expect(second).toMatchObject({
      rejected: 0,
      rows: 236_483,
      inserted: 0,
      updated: 0,
      unchanged: 236_483,
    });
    const list = second.results.find((result) => result.ok && result.kind === 'instruments');
    expect(list).toMatchObject({ rows: 44, inserted: 0, updated: 0, unchanged: 44 });
  });
});
