/**
 * `countersign import-trades` as a user runs it: broker layouts accepted, a file with one bad row
 * refused whole (exit 1), bad flags exit 2, a second import changes nothing, and a process killed
 * with SIGKILL in the middle of a large file leaves nothing half-loaded.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, withoutNotices } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { tempFolder, writeCsv } from '../helpers/fixtures.js';

describe('countersign import-trades', () => {
  let db: TestDatabase;
  let folder: { dir: string; cleanup: () => Promise<void> };
  const count = async (account = 'paper') =>
    Number(
      (
        await db.pool.query<{ n: string }>(
          'SELECT count(*) AS n FROM imported_trades WHERE account_id = $1',
          [account],
        )
      ).rows[0]?.n,
    );

  beforeAll(async () => {
    db = await createTestDatabase();
    folder = await tempFolder();
  });
  afterAll(async () => {
    await db?.drop();
    await folder?.cleanup();
  });

  it('imports a canonical file and a broker export, then a second run changes nothing', async () => {
    const canonical = await writeCsv(folder.dir, 'journal.csv', [
      'date,symbol,side,quantity,price,fees,strategy,note,id',
      '2021-04-20,NVDA,buy,10,152.1,1,momentum_rotation,bought the dip,J1',
      '2021-05-03,NVDA,sell,10,160,1,momentum_rotation,took profit,J2',
    ]);
    const broker = await writeCsv(folder.dir, 'broker-export.csv', [
      'Account,Trade Date,Ticker,Buy/Sell,Qty,Price,Commission',
      'U1,06/01/2021,JPM,B,"1,000",$150.25,$1.00',
      'U1,06/15/2021,JPM,S,1000,155,1',
    ]);
    const first = await runCli(['import-trades', canonical, broker], { DATABASE_URL: db.url });
    expect(withoutNotices(first.stderr).trim()).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(
      'journal.csv: 2 trades (2 new, 0 already there), 2021-04-20 to 2021-05-03\n' +
        'broker-export.csv: 2 trades (2 new, 0 already there), 2021-06-01 to 2021-06-15; ignored columns: Account\n' +
        'Imported 2 files into account paper: 4 trades (4 new, 0 already there); 0 refused.\n',
    );
    const before = await db.pool.query('SELECT * FROM imported_trades ORDER BY id');
    const again = await runCli(['import-trades', canonical, broker, '--json'], {
      DATABASE_URL: db.url,
    });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      account: 'paper',
      files: 2,
      rejected: 0,
      rows: 4,
      inserted: 0,
      already: 4,
      imported: [
        { file: canonical, rows: 2, inserted: 0, already: 2 },
        { file: broker, rows: 2, inserted: 0, already: 2, ignored_columns: ['Account'] },
      ],
      refused: [],
    });
    expect((await db.pool.query('SELECT * FROM imported_trades ORDER BY id')).rows).toEqual(
      before.rows,
    );
  });

  it('a file with one bad row is refused whole, naming line, column, value and reason (exit 1)', async () => {
    const good = await writeCsv(folder.dir, 'good.csv', [
      'Trade Date,Ticker,Action,Qty,Price',
      '2022-01-03,KO,BUY,5,60',
    ]);
    const bad = await writeCsv(folder.dir, 'bad.csv', [
      'Trade Date,Ticker,Action,Qty,Price',
      '2022-01-03,MSFT,BUY,5,330',
      '2022-01-04,MSFT,SHORT,5,331',
    ]);
    const before = await count();
    const run = await runCli(['import-trades', bad, good], { DATABASE_URL: db.url });
    expect(run.code).toBe(1);
    expect(withoutNotices(run.stderr).trim()).toBe(
      'refused: bad.csv line 3, column Action, value "SHORT": not a side: write buy or sell (also B/S, Bought/Sold, BOT/SLD, any case)',
    );
    expect(run.stdout).toContain('good.csv: 1 trade (1 new, 0 already there)');
    expect(run.stdout).toContain(
      'Imported 1 file into account paper: 1 trade (1 new, 0 already there); 1 refused.',
    );
    expect(await count()).toBe(before + 1);
    const msft = await db.pool.query("SELECT 1 FROM imported_trades WHERE symbol = 'MSFT'");
    expect(msft.rowCount).toBe(0);
  });

  it('bad flags exit 2 and say what is valid; nothing is imported', async () => {
    const file = await writeCsv(folder.dir, 'flags.csv', [
      'date,symbol,side,quantity,price',
      '2022-02-01,AAPL,buy,1,170',
    ]);
    const env = { DATABASE_URL: db.url };
    const malformed = await runCli(['import-trades', file, '--account', 'My Account'], env);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain(
      '--account "My Account" is not an account id (1-40 of a-z, 0-9, _ and -, e.g. paper)',
    );
    const unknown = await runCli(['import-trades', file, '--account', 'ira'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no account "ira"; the accounts are paper.');
    const option = await runCli(['import-trades', file, '--acount', 'paper'], env);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("unknown option '--acount'");
    const none = await runCli(['import-trades'], env);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("missing required argument 'files'");
    expect(
      (await db.pool.query("SELECT 1 FROM imported_trades WHERE symbol = 'AAPL'")).rowCount,
    ).toBe(0);
  });

  it('SIGKILL in the middle of a large file leaves nothing; the next run loads it all', async () => {
    await db.pool.query(
      "INSERT INTO accounts (id, name, kind, broker) VALUES ('big', 'Big history', 'paper', 'paper')",
    );
    const rows = 200_000;
    const lines = ['date,symbol,side,quantity,price,fees,note,id'];
    for (let k = 0; k < rows; k++) {
      const day = `2015-01-${String(1 + (k % 28)).padStart(2, '0')}`;
      lines.push(
        `${day},SYM${k % 500},${k % 2 ? 'sell' : 'buy'},${1 + (k % 9)},${(10 + (k % 97) / 4).toFixed(2)},0.5,generated trade ${k},G${k}`,
      );
    }
    const file = path.join(folder.dir, 'large.csv');
    await writeFile(file, `${lines.join('\n')}\n`);

    const cli = startCli(['import-trades', file, '--account', 'big'], { DATABASE_URL: db.url });
    // Wait until the import's COPY has sent rows but not all of them, then kill the process.
    let processed = 0;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const { rows: progress } = await db.pool.query<{ n: string }>(
        `SELECT c.tuples_processed AS n FROM pg_stat_progress_copy c
           JOIN pg_stat_activity a ON a.pid = c.pid
          WHERE a.datname = $1 AND a.application_name = 'countersign-import-trades'`,
        [db.name],
      );
      processed = Number(progress[0]?.n ?? 0);
      if (processed > 1000) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    cli.child.kill('SIGKILL');
    expect(await cli.exited).toBeNull();
    expect(processed).toBeGreaterThan(1000);
    expect(processed).toBeLessThan(rows);
    // The server notices the dead client and rolls its transaction back.
    for (let wait = 0; wait < 200; wait++) {
      const { rowCount } = await db.pool.query(
        "SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND application_name = 'countersign-import-trades'",
        [db.name],
      );
      if (rowCount === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await count('big')).toBe(0);
    const audit = await db.pool.query(
      "SELECT 1 FROM audit_log WHERE action = 'imported_trades.loaded' AND after->>'account' = 'big'",
    );
    expect(audit.rowCount).toBe(0);

    const complete = await runCli(['import-trades', file, '--account', 'big', '--json'], {
      DATABASE_URL: db.url,
    });
    expect(complete.code).toBe(0);
    expect(JSON.parse(complete.stdout)).toMatchObject({ rows, inserted: rows, already: 0 });
    expect(await count('big')).toBe(rows);
  }, 120_000);
});
