import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/database.js';
import { SAMPLE_DIR } from '../../test/helpers/fixtures.js';
import { importBarFile } from '../market-data/import-bar-file.js';
import { dailyBars, marketDataSummary } from './bars-repo.js';

describe('bars repository', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('summarises an empty database', async () => {
    expect(await marketDataSummary(db.pool)).toEqual({
      symbols: 0,
      bars: 0,
      firstDate: undefined,
      lastDate: undefined,
    });
  });

  it('returns bars as exact decimals, oldest first, within the dates asked', async () => {
    await importBarFile(db.pool, path.join(SAMPLE_DIR, 'BRK.B.csv.gz'));
    await importBarFile(db.pool, path.join(SAMPLE_DIR, 'GOOGL.csv.gz'));
    const bars = await dailyBars(db.pool, 'BRK.B', '2021-04-19', '2021-04-21');
    expect(bars.map((bar) => bar.date)).toEqual(['2021-04-19', '2021-04-20', '2021-04-21']);
    const last = bars[2];
    // The sample's last BRK.B row, to the digit: decimal strings in, decimals out.
    expect(last?.close.toString()).toBe('272.21');
    expect(last?.volume).toBe(3471558n);
    // 0.1 + 0.2 style float error must not appear in money arithmetic.
    expect(last?.close.plus('0.1').plus('0.2').toString()).toBe('272.51');
    expect(await marketDataSummary(db.pool)).toEqual({
      symbols: 2,
      bars: 5402 + 4197,
      firstDate: '1999-11-01',
      lastDate: '2021-04-21',
    });
  });
});
