/** Constituent lists: recognised only by their exact header, never blanking a name or sector, saying what changed. */
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/database.js';
import { SAMPLE_DIR, tempFolder, writeCsv } from '../../test/helpers/fixtures.js';
import { importPaths } from './import-paths.js';

describe('importing constituent lists', () => {
  let db: TestDatabase;
  let folder: { dir: string; cleanup: () => Promise<void> };
  const instrument = async (symbol: string) =>
    (
      await db.pool.query('SELECT symbol, name, sector FROM instruments WHERE symbol = $1', [
        symbol,
      ])
    ).rows[0];

  beforeAll(async () => {
    db = await createTestDatabase();
    folder = await tempFolder();
  });
  afterAll(async () => {
    await db.drop();
    await folder.cleanup();
  });
  beforeEach(async () => {
    await db.pool.query('DELETE FROM instruments WHERE symbol IN ($1, $2)', ['AAPL', 'MSFT']);
    await db.pool.query(
      "INSERT INTO instruments (symbol, name, sector) VALUES ('AAPL', 'Apple Inc.', 'Information Technology')",
    );
  });

  it('refuses a file that is neither a price file nor a constituents list, naming it and the headers expected; nothing changes', async () => {
    const file = await writeCsv(folder.dir, 'prices.csv', ['symbol,price', 'AAPL,130.5']);
    const summary = await importPaths(db.pool, [file]);
    expect(summary.rejected).toBe(1);
    const [result] = summary.results;
    expect(result?.ok).toBe(false);
    if (result?.ok !== false) return;
    expect(result.problem.file).toBe(file);
    expect(result.problem.value).toBe('symbol,price');
    expect(result.problem.reason).toContain('date,open,high,low,close,volume');
    expect(result.problem.reason).toContain('Symbol,Name,Sector');
    expect(await instrument('AAPL')).toEqual({
      symbol: 'AAPL',
      name: 'Apple Inc.',
      sector: 'Information Technology',
    });
  });

  it('is a constituents list only with exactly the header Symbol,Name,Sector', async () => {
    for (const header of [
      'Symbol,Name',
      'Ticker,Security,GICS Sector',
      'Symbol,Name,Sector,Weight',
    ]) {
      const file = await writeCsv(folder.dir, 'list.csv', [header, 'AAPL,,']);
      const summary = await importPaths(db.pool, [file]);
      expect(summary.rejected, header).toBe(1);
    }
    expect((await instrument('AAPL'))?.sector).toBe('Information Technology');
  });

  it('never blanks a name or sector; says which it changed, old and new', async () => {
    const file = await writeCsv(folder.dir, 'constituents.csv', [
      'Symbol,Name,Sector',
      'AAPL,,Technology',
      'MSFT,Microsoft Corp.,',
    ]);
    const summary = await importPaths(db.pool, [file]);
    expect(summary.rejected).toBe(0);
    const [result] = summary.results;
    expect(result).toMatchObject({
      ok: true,
      kind: 'instruments',
      rows: 2,
      inserted: 1,
      updated: 1,
    });
    if (!result?.ok || result.kind !== 'instruments') return;
    expect(result.changes).toEqual([
      { symbol: 'AAPL', field: 'sector', old: 'Information Technology', new: 'Technology' },
    ]);
    expect(await instrument('AAPL')).toEqual({
      symbol: 'AAPL',
      name: 'Apple Inc.',
      sector: 'Technology',
    });
    expect(await instrument('MSFT')).toEqual({
      symbol: 'MSFT',
      name: 'Microsoft Corp.',
      sector: null,
    });
  });

  it('a folder of price files and constituents.csv still loads names and sectors', async () => {
    const summary = await importPaths(db.pool, [
      path.join(SAMPLE_DIR, 'KO.csv.gz'),
      path.join(SAMPLE_DIR, 'constituents.csv'),
    ]);
    expect(summary.rejected).toBe(0);
    expect(summary.rows).toBe(5_402);
    expect(await instrument('KO')).toEqual({
      symbol: 'KO',
      name: 'Coca-Cola Company',
      sector: 'Consumer Staples',
    });
  });
});
