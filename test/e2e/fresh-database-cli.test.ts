/**
 * A CLI command or `countersign mcp` on a database with no prices behaves like `npm start`: the
 * bundled sample is loaded, and one stderr line says which database is used (never a password);
 * over stdio, stdout stays pure JSON-RPC.
 */
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../config/app-info.js';
import { childEnv, dataFolder, runCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

const SAMPLE_ROWS = '236483';
const databaseLines = (stderr: string) =>
  stderr.split('\n').filter((line) => line.startsWith('countersign: database:'));

describe('countersign mcp on a database with no prices', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('loads the sample, says on stderr which database (no password), keeps stdout JSON-RPC', async () => {
    // The test server trusts local connections, so the password is never checked: only shown or not.
    const url = db.url.replace('postgres@', 'postgres:hunter2-secret@');
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [path.join(PROJECT_ROOT, 'bin', 'countersign.js'), 'mcp'],
      env: childEnv({ DATABASE_URL: url, LOG_LEVEL: 'warn' }) as Record<string, string>,
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    const protocolErrors: Error[] = [];
    const client = new Client({ name: 'e2e', version: '1.0.0' });
    client.onerror = (error) => protocolErrors.push(error);
    await client.connect(transport);
    try {
      const quote = await client.callTool({ name: 'get_quote', arguments: { symbol: 'AAPL' } });
      expect(quote.isError).toBeFalsy();
      expect((quote.structuredContent as { symbol: string }).symbol).toBe('AAPL');
    } finally {
      await client.close();
    }
    expect(protocolErrors).toEqual([]);
    const { rows } = await db.pool.query('SELECT count(*) AS n FROM daily_bars');
    expect(rows[0]).toEqual({ n: SAMPLE_ROWS });
    const sectors = await db.pool.query(
      "SELECT sector FROM instruments WHERE symbol = 'AAPL' AND sector IS NOT NULL",
    );
    expect(sectors.rows).toEqual([{ sector: 'Information Technology' }]);
    expect(databaseLines(stderr)).toEqual([
      `countersign: database: PostgreSQL at 127.0.0.1:5432/${db.name} (DATABASE_URL)`,
    ]);
    expect(stderr).toMatch(/no prices in this database yet: loading the bundled sample/);
    expect(stderr).not.toContain('hunter2');
  }, 120_000);
});

describe('a CLI command on a fresh data directory', () => {
  let folder: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    folder = await dataFolder();
  });
  afterAll(() => folder.cleanup());

  it('starts the embedded PostgreSQL, loads the sample, and says which database on one line', async () => {
    const backtest = ['backtest', '--strategy', 'sma_cross', '--symbols', 'AAPL', '--json'];
    const first = await runCli(backtest, { DATA_DIR: folder.dir });
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout).fills.length).toBeGreaterThan(0);
    const line = `countersign: database: embedded PostgreSQL in ${path.join(folder.dir, 'postgres')} (DATA_DIR ${folder.dir}), started for this command`;
    expect(databaseLines(first.stderr)).toEqual([line]);
    expect(first.stderr).toMatch(/no prices in this database yet: loading the bundled sample/);

    // Prices are there now: the same single line, nothing loaded again.
    const second = await runCli(backtest, { DATA_DIR: folder.dir });
    expect(second.code).toBe(0);
    expect(second.stderr).toBe(`${line}\n`);
  }, 180_000);
});
