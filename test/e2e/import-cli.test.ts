/** `countersign import` with files that are not what they seem: refused with exit 1, names and sectors kept. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { SAMPLE_DIR, tempFolder, writeCsv } from '../helpers/fixtures.js';

describe('countersign import: what it cannot recognise', () => {
  let db: TestDatabase;
  let folder: { dir: string; cleanup: () => Promise<void> };
  const aapl = async () =>
    (await db.pool.query("SELECT name, sector FROM instruments WHERE symbol = 'AAPL'")).rows[0];

  beforeAll(async () => {
    db = await createTestDatabase();
    folder = await tempFolder();
  });
  afterAll(async () => {
    await db.drop();
    await folder.cleanup();
  });

  it('a folder of price files and constituents.csv loads prices, names and sectors', async () => {
    const run = await runCli(['import', SAMPLE_DIR, '--json'], { DATABASE_URL: db.url });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      files: 45,
      rejected: 0,
      rows: 236_483,
      instruments: { rows: 44, inserted: 44 },
      changes: [],
    });
    expect(await aapl()).toEqual({ name: 'Apple Inc.', sector: 'Information Technology' });
  });

  it('symbol,price is refused naming the file and the headers expected, exit 1, AAPL untouched', async () => {
    const file = await writeCsv(folder.dir, 'prices.csv', ['symbol,price', 'AAPL,130.5']);
    const run = await runCli(['import', file], { DATABASE_URL: db.url });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'refused: prices.csv line 1, value "symbol,price": neither a price file nor a constituents list',
    );
    expect(run.stderr).toContain('date,open,high,low,close,volume');
    expect(run.stderr).toContain('exactly the header Symbol,Name,Sector');
    expect(run.stdout).toMatch(/^Imported 0 files: 0 rows .*; 1 refused\.\n$/);
    expect(await aapl()).toEqual({ name: 'Apple Inc.', sector: 'Information Technology' });
  });

  it('a constituents list never blanks a name or sector, and says what it changed', async () => {
    const file = await writeCsv(folder.dir, 'constituents.csv', [
      'Symbol,Name,Sector',
      'AAPL,,Technology',
      'KO,,',
    ]);
    const run = await runCli(['import', file], { DATABASE_URL: db.url });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      'changed: AAPL sector "Information Technology" → "Technology" (constituents.csv)\n',
    );
    expect(run.stdout).toContain('2 instruments (0 new, 1 changed, 1 unchanged); 0 refused.');
    expect(await aapl()).toEqual({ name: 'Apple Inc.', sector: 'Technology' });
    const ko = await db.pool.query("SELECT name, sector FROM instruments WHERE symbol = 'KO'");
    expect(ko.rows[0]).toEqual({ name: 'Coca-Cola Company', sector: 'Consumer Staples' });
  });
});
