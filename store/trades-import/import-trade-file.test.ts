/** Loading trades files into a real PostgreSQL: all or nothing, and a second import changes nothing. */

import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/database.js';
import { tempFolder, writeCsv } from '../../test/helpers/fixtures.js';
import { verifyAudit } from '../audit/audit-log.js';
import { formatProblem } from '../market-data/bar-file.js';
import { IMPORTED_TRADES_CHANGED_CHANNEL, importTradeFile } from './import-trade-file.js';

let db: TestDatabase;
let folder: { dir: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  db = await createTestDatabase();
  folder = await tempFolder();
  await db.pool.query(
    "INSERT INTO accounts (id, name, kind, broker) VALUES ('ira', 'Old IRA', 'live', 'elsewhere')",
  );
});
afterAll(async () => {
  await db?.drop();
  await folder?.cleanup();
});

/** Every imported row of `account`, as text, in file order. */
async function stored(account = 'paper') {
  const { rows } = await db.pool.query<Record<string, string | number | null>>(
    `SELECT id, external_id, trade_date::text AS date, symbol, side, quantity::text, price::text,
            fees::text, strategy, note, source_file, line, imported_at::text
       FROM imported_trades WHERE account_id = $1 ORDER BY source_sha256, line`,
    [account],
  );
  return rows;
}

const HEADER = 'Trade Date,Ticker,Action,Qty,Price,Commission,Strategy,Notes,id';

describe('importTradeFile', () => {
  it('loads every row exactly, then a second import of the same file adds nothing', async () => {
    const file = await writeCsv(folder.dir, 'broker.csv', [
      HEADER,
      '04/20/2021,NVDA,BUY,"1,000",152.125,1.00,momentum_rotation,"earnings dip; tab\there, back\\slash",E1',
      '05/03/2021,NVDA,SELL,1000,160.5,1,momentum_rotation,,E2',
      '2021-06-01,JPM,Bought,10,150,,,,',
    ]);
    const first = await importTradeFile(db.pool, file, { today: '2024-01-01' });
    expect(first).toMatchObject({
      ok: true,
      sourceFile: 'broker.csv',
      account: 'paper',
      rows: 3,
      inserted: 3,
      already: 0,
      ignoredColumns: [],
      firstDate: '2021-04-20',
      lastDate: '2021-06-01',
    });
    const before = await stored();
    expect(before.map(({ id, imported_at, ...rest }) => rest)).toEqual([
      {
        external_id: 'E1',
        date: '2021-04-20',
        symbol: 'NVDA',
        side: 'buy',
        quantity: '1000',
        price: '152.125',
        fees: '1.00',
        strategy: 'momentum_rotation',
        note: 'earnings dip; tab\there, back\\slash',
        source_file: 'broker.csv',
        line: 2,
      },
      {
        external_id: 'E2',
        date: '2021-05-03',
        symbol: 'NVDA',
        side: 'sell',
        quantity: '1000',
        price: '160.5',
        fees: '1',
        strategy: 'momentum_rotation',
        note: null,
        source_file: 'broker.csv',
        line: 3,
      },
      {
        external_id: null,
        date: '2021-06-01',
        symbol: 'JPM',
        side: 'buy',
        quantity: '10',
        price: '150',
        fees: '0',
        strategy: null,
        note: null,
        source_file: 'broker.csv',
        line: 4,
      },
    ]);
    const again = await importTradeFile(db.pool, file, { today: '2024-01-01' });
    expect(again).toMatchObject({ ok: true, rows: 3, inserted: 0, already: 3 });
    // Not even touched: the same ids and import times.
    expect(await stored()).toEqual(before);
    // One audit entry, for the import that added rows, and the chain still verifies.
    const { rows: audit } = await db.pool.query(
      "SELECT entity_id, after FROM audit_log WHERE action = 'imported_trades.loaded'",
    );
    expect(audit).toEqual([
      {
        entity_id: first.ok ? first.sha256 : '',
        after: expect.objectContaining({ account: 'paper', file: 'broker.csv', inserted: 3 }),
      },
    ]);
    expect(await verifyAudit(db.pool)).toMatchObject({ ok: true });
  });

  it('an overlapping export with the same trade ids adds only the new trades', async () => {
    const file = await writeCsv(folder.dir, 'broker-later.csv', [
      'id,date,symbol,side,quantity,price,fees',
      'E2,2021-05-03,NVDA,sell,1000.0,160.50,1.0',
      'E3,2021-07-01,NVDA,buy,5,170,0',
    ]);
    const result = await importTradeFile(db.pool, file, { today: '2024-01-01' });
    expect(result).toMatchObject({ ok: true, rows: 2, inserted: 1, already: 1 });
    const ids = (await stored()).map((row) => row.external_id);
    expect(ids.filter((id) => id === 'E2')).toHaveLength(1);
    expect(ids).toContain('E3');
  });

  it('without ids: the same trades saved again, or an overlapping export, add only what is new', async () => {
    const lines = [
      'date,symbol,side,quantity,price,fees',
      '2023-03-01,XOM,buy,10,100,1',
      // Two identical trades on one day are two trades.
      '2023-03-02,XOM,buy,10,101,1',
      '2023-03-02,XOM,buy,10,101,1',
    ];
    const first = await writeCsv(folder.dir, 'no-ids.csv', lines);
    expect(await importTradeFile(db.pool, first)).toMatchObject({ ok: true, inserted: 3 });
    // A spreadsheet saved it again: CRLF, quotes, trailing zeros, a thousands-style price.
    const resaved = path.join(folder.dir, 'no-ids (2).csv');
    await writeFile(
      resaved,
      [
        '"Date","Symbol","Side","Quantity","Price","Fees"',
        '"2023-03-01","XOM","Buy","10.00","100.00","1.00"',
        '"2023-03-02","XOM","Buy","10","101.0","1"',
        '"2023-03-02","XOM","Buy","10","101.0","1"',
      ].join('\r\n'),
    );
    expect(await importTradeFile(db.pool, resaved)).toMatchObject({
      ok: true,
      rows: 3,
      inserted: 0,
      already: 3,
    });
    // A later export: the same three, a third identical trade that day, and a new day.
    const later = await writeCsv(folder.dir, 'no-ids-later.csv', [
      ...lines,
      '2023-03-02,XOM,buy,10,101,1',
      '2023-03-03,XOM,sell,30,105,1',
    ]);
    expect(await importTradeFile(db.pool, later)).toMatchObject({
      ok: true,
      rows: 5,
      inserted: 2,
      already: 3,
    });
    const { rows } = await db.pool.query(
      "SELECT trade_date::text, side, count(*)::int AS n FROM imported_trades WHERE symbol = 'XOM' GROUP BY 1, 2 ORDER BY 1",
    );
    expect(rows).toEqual([
      { trade_date: '2023-03-01', side: 'buy', n: 1 },
      { trade_date: '2023-03-02', side: 'buy', n: 3 },
      { trade_date: '2023-03-03', side: 'sell', n: 1 },
    ]);
  });

  it('the same trade id with different values refuses the file, naming both places', async () => {
    const count = (await stored()).length;
    const file = await writeCsv(folder.dir, 'conflict.csv', [
      'id,date,symbol,side,quantity,price',
      'E9,2021-08-01,KO,buy,1,50',
      'E2,2021-05-03,NVDA,sell,1000,161',
    ]);
    const result = await importTradeFile(db.pool, file, { today: '2024-01-01' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(formatProblem(result.problem)).toBe(
      'conflict.csv line 3, column id, value "E2": trade id "E2" was imported before from broker.csv line 3 as "2021-05-03 sell 1000 NVDA @ 160.5 fees 1", and this row says "2021-05-03 sell 1000 NVDA @ 161 fees 0"; the same id must be the same trade',
    );
    expect(await stored()).toHaveLength(count);
  });

  it('one bad row at the end of 5,000 refuses the whole file and writes nothing', async () => {
    const lines = ['date,symbol,side,quantity,price'];
    for (let k = 0; k < 5000; k++) lines.push(`2022-01-03,AAPL,${k % 2 ? 'sell' : 'buy'},1,170`);
    lines.push('2022-01-04,AAPL,buy,1,-170');
    const file = await writeCsv(folder.dir, 'long.csv', lines);
    const result = await importTradeFile(db.pool, file, { account: 'ira', today: '2024-01-01' });
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(formatProblem(result.problem)).toBe(
        'long.csv line 5002, column price, value "-170": price must be > 0: write it without a sign; the side column says buy or sell',
      );
    expect(await stored('ira')).toEqual([]);
  });

  it('a gzipped file loads into another account; the same file for a second account is its own', async () => {
    const text = 'date,symbol,side,quantity,price\n2020-03-02,MSFT,buy,2,160\n';
    const file = path.join(folder.dir, 'msft.csv.gz');
    await writeFile(file, gzipSync(text));
    expect(await importTradeFile(db.pool, file, { account: 'ira' })).toMatchObject({
      ok: true,
      inserted: 1,
    });
    expect(await importTradeFile(db.pool, file, { account: 'paper' })).toMatchObject({
      ok: true,
      inserted: 1,
    });
    expect((await stored('ira')).map((row) => row.symbol)).toEqual(['MSFT']);
  });

  it('an import notifies listeners at its commit; a repeated or refused one says nothing', async () => {
    const listener = await db.pool.connect();
    const heard: string[] = [];
    listener.on('notification', (message) => heard.push(`${message.channel}:${message.payload}`));
    try {
      await listener.query(`LISTEN ${IMPORTED_TRADES_CHANGED_CHANNEL}`);
      const file = await writeCsv(folder.dir, 'notify.csv', [
        'date,symbol,side,quantity,price',
        '2021-02-01,PEP,buy,3,140',
      ]);
      expect(await importTradeFile(db.pool, file)).toMatchObject({ ok: true, inserted: 1 });
      await listener.query('SELECT 1');
      expect(heard).toEqual(['countersign_imported_trades_changed:INSERT']);
      heard.length = 0;
      expect(await importTradeFile(db.pool, file)).toMatchObject({ ok: true, inserted: 0 });
      await listener.query('SELECT 1');
      // The same file again inserts nothing, so nothing is said; nor by a refused file.
      expect(heard).toEqual([]);
      const bad = await writeCsv(folder.dir, 'notify-bad.csv', [
        'date,symbol,side,quantity,price',
        '2021-02-01,PEP,buy,3,0',
      ]);
      expect(await importTradeFile(db.pool, bad)).toMatchObject({ ok: false });
      await listener.query('SELECT 1');
      expect(heard).toEqual([]);
    } finally {
      await listener.query(`UNLISTEN ${IMPORTED_TRADES_CHANGED_CHANNEL}`);
      listener.release();
    }
  });

  it('refuses a missing file, an empty one, a header alone and an unknown account', async () => {
    const problem = async (file: string, account?: string) => {
      const result = await importTradeFile(db.pool, file, account ? { account } : {});
      return result.ok ? 'accepted' : formatProblem(result.problem);
    };
    expect(await problem(path.join(folder.dir, 'nope.csv'))).toMatch(
      /^nope\.csv: cannot read the file \(ENOENT/,
    );
    expect(await problem(await writeCsv(folder.dir, 'empty.csv', []))).toBe(
      'empty.csv line 1: the file is empty: expected a header (date, symbol, side, quantity, price, …) and rows',
    );
    expect(
      await problem(await writeCsv(folder.dir, 'header.csv', ['date,symbol,side,quantity,price'])),
    ).toBe('header.csv line 2: the file has a header but no trades');
    const fine = await writeCsv(folder.dir, 'fine.csv', [
      'date,symbol,side,quantity,price',
      '2021-01-04,KO,buy,1,50',
    ]);
    expect(await problem(fine, 'nobody')).toBe('fine.csv: no account "nobody"');
  });
});
