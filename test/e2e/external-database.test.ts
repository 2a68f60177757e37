/**
 * The product against a PostgreSQL of the user's own (DATABASE_URL): start, a dead URL, and the
 * import command's refusals and crash safety.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataFolder, freePort, runCli, startCli, waitForHealthy } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { SAMPLE_DIR, sampleLines, tempFolder, writeCsv } from '../helpers/fixtures.js';

describe('with DATABASE_URL', () => {
  let db: TestDatabase;
  let folder: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    db = await createTestDatabase();
    folder = await tempFolder();
  });
  afterAll(async () => {
    await db.drop();
    await folder.cleanup();
  });

  it('fails within 10 s when nothing listens there, naming the host and what to check', async () => {
    const port = await freePort();
    const result = await runCli(['serve'], {
      DATABASE_URL: `postgres://someone:secret@127.0.0.1:${port}/countersign`,
      PORT: String(await freePort()),
    });
    expect(result.code).not.toBe(0);
    expect(result.ms).toBeLessThan(10_000);
    expect(result.stderr).toContain(
      `Cannot connect to PostgreSQL at 127.0.0.1:${port}/countersign`,
    );
    expect(result.stderr).toContain('is PostgreSQL running, and on that port?');
    expect(result.stderr).not.toContain('secret');
  });

  it('uses that server, starts nothing of its own, loads the sample into an empty database', async () => {
    const data = await dataFolder();
    const port = await freePort();
    const server = startCli(['serve'], {
      DATABASE_URL: db.url,
      DATA_DIR: data.dir,
      PORT: String(port),
    });
    try {
      const { body } = await waitForHealthy(`http://127.0.0.1:${port}`, 60_000);
      expect(body).toMatchObject({ status: 'ok', mode: 'external' });
      expect(existsSync(path.join(data.dir, 'postgres'))).toBe(false);
      expect(existsSync(path.join(data.dir, 'countersign.lock'))).toBe(false);
      const { rows } = await db.pool.query('SELECT count(*) AS n FROM daily_bars');
      expect(rows[0]).toEqual({ n: '236483' });
    } finally {
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      await data.cleanup();
    }
  });

  it('import: refuses a bad file with its exact location, imports the good ones, exits 1', async () => {
    const lines = await sampleLines('KO');
    lines[100] = (lines[100] as string).replace(/^([^,]+),([^,]+),([^,]+),/, '$1,$2,-3.5,');
    const bad = await writeCsv(folder.dir, 'KO.csv', lines);
    const good = await writeCsv(folder.dir, 'KOX.csv', await sampleLines('PEP'));
    const result = await runCli(['import', bad, good], { DATABASE_URL: db.url });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'refused: KO.csv line 101, column high, value "-3.5": negative; a traded price must be > 0',
    );
    expect(result.stdout).toMatch(
      /^Imported 1 file: 5,402 rows \(5,402 new, 0 changed, 0 unchanged\) in [\d.]+ s, [\d,]+ rows\/s; 1 refused\.\n$/,
    );
    const { rows } = await db.pool.query(
      "SELECT count(*) AS n FROM daily_bars WHERE symbol = 'KOX'",
    );
    expect(rows[0]).toEqual({ n: '5402' });
  });

  it('import: after kill -9 in the middle of a file, the table holds none of it; a rerun loads all of it', async () => {
    // 300,000 synthetic days (one per calendar day from 1800): large enough to catch mid-COPY.
    const lines = ['date,open,high,low,close,adj_close,volume,dividend,split'];
    const day = Date.UTC(1800, 0, 1);
    for (let i = 0; i < 300_000; i++) {
      const date = new Date(day + i * 86_400_000).toISOString().slice(0, 10);
      lines.push(`${date},10.5,11.25,10,11,11,${1000 + i},0,1`);
    }
    const file = await writeCsv(folder.dir, 'HUGE.csv', lines);
    const importer = startCli(['import', file], { DATABASE_URL: db.url });
    // Wait until its COPY is running on the server, then kill the importer outright.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { rows } = await db.pool.query(
        "SELECT pid FROM pg_stat_activity WHERE application_name = 'countersign-import' AND query LIKE 'COPY%' AND state = 'active'",
      );
      if (rows.length > 0) break;
      if (Date.now() > deadline || importer.child.exitCode !== null)
        throw new Error(`no COPY seen: ${importer.stderr()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    importer.child.kill('SIGKILL');
    await importer.exited;
    // The server notices the dead client and rolls its transaction back.
    for (let i = 0; i < 200; i++) {
      const { rows } = await db.pool.query(
        "SELECT 1 FROM pg_stat_activity WHERE application_name = 'countersign-import'",
      );
      if (rows.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const none = await db.pool.query("SELECT count(*) AS n FROM daily_bars WHERE symbol = 'HUGE'");
    expect(none.rows[0]).toEqual({ n: '0' });

    const rerun = await runCli(['import', file, '--json'], { DATABASE_URL: db.url });
    expect(rerun.code).toBe(0);
    expect(JSON.parse(rerun.stdout)).toMatchObject({
      rows: 300_000,
      inserted: 300_000,
      rejected: 0,
      refused: [],
    });
    const all = await db.pool.query("SELECT count(*) AS n FROM daily_bars WHERE symbol = 'HUGE'");
    expect(all.rows[0]).toEqual({ n: '300000' });
  });

  it('import: a path that does not exist is refused with the reason, not a crash', async () => {
    const result = await runCli(['import', path.join(SAMPLE_DIR, 'NOPE.csv')], {
      DATABASE_URL: db.url,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/refused: NOPE\.csv: cannot read the file \(ENOENT/);
  });
});
