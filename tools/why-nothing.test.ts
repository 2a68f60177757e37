/**
 * Research tools that find nothing say why, over the real sample: an empty screen's note (the
 * history case is in core/screening/empty-screen.test.ts), a backtest on too short a range.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../config/logger.js';
import { importPaths } from '../store/market-data/import-paths.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database.js';
import { SAMPLE_DIR } from '../test/helpers/fixtures.js';
import { runBacktestTool } from './run-backtest.js';
import { screenStocksTool } from './screen-stocks.js';
import { type Tool, type ToolContext, ToolError } from './tool.js';

let db: TestDatabase;
let local: string;

function context(): ToolContext {
  return {
    principal: { id: local, handle: 'local', scopes: ['read'] },
    pool: db.pool,
    orders: {} as never,
    channel: 'mcp',
    proposerKind: 'mcp_client',
    logger: silentLogger(),
    progress: () => undefined,
    signal: new AbortController().signal,
    now: () => new Date('2021-05-01T00:00:00Z'),
  };
}

/** Validates the input, runs the handler and validates the output, as a transport would. */
async function call(tool: Tool, raw: unknown): Promise<Record<string, unknown>> {
  const result = await tool.handler(tool.input.parse(raw), context());
  return tool.output.parse(result) as Record<string, unknown>;
}

beforeAll(async () => {
  db = await createTestDatabase();
  await importPaths(db.pool, [SAMPLE_DIR]);
  const { rows } = await db.pool.query<{ id: string }>(
    "SELECT id FROM principals WHERE handle = 'local'",
  );
  local = rows[0]?.id as string;
}, 120_000);

afterAll(async () => {
  await db?.drop();
});

describe('screen_stocks with no ranked rows', () => {
  it('says which filter removed the symbols', async () => {
    const result = await call(screenStocksTool, { as_of: '2020-12-31', min_price: 1_000_000 });
    expect(result.rows).toEqual([]);
    expect(result.note).toMatch(
      /^No symbol was ranked on 2020-12-31: all 44 were left out\. 44 by the minimum price filter \([A-Z]+: price [\d.]+ on 2020-12-3\d is below minPrice 1000000\)\. Loosen or drop that filter\.$/,
    );
  });

  it('has no note when rows were ranked', async () => {
    const result = await call(screenStocksTool, { as_of: '2020-12-31', top: 3 });
    expect((result.rows as unknown[]).length).toBe(3);
    expect(result).not.toHaveProperty('note');
  });
});

describe('run_backtest on too short a range', () => {
  it('is refused with the history the slowest indicator needs and the bars there are', async () => {
    const error = await call(runBacktestTool, {
      strategy: 'sma_cross',
      symbols: ['AAPL'],
      params: { fast: 10, slow: 50 },
      start: '2021-01-01',
      end: '2021-02-15',
    }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ToolError);
    expect((error as ToolError).code).toBe('bad_input');
    expect((error as ToolError).message).toMatch(
      /^sma_cross slow=50 needs at least 51 bars \(the slow average takes 50 bars and a cross one more\); AAPL has 29, 2021-01-04 to 2021-02-12\. Start the range earlier or use a smaller slow\.$/,
    );
  });
});
