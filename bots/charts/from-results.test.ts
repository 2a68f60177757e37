/**
 * chartsFor on real tool results: run_backtest (detail full with its curve, and the stored run
 * that readBacktest returns) and optimize_portfolio with a frontier, called through the tool gate
 * on a database holding the bundled sample; and [] for every output it cannot chart.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importPaths } from '../../store/market-data/import-paths.js';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/database.js';
import { SAMPLE_DIR } from '../../test/helpers/fixtures.js';
import { createToolContext } from '../../tools/context.js';
import { invokeTool } from '../../tools/invoke.js';
import { optimizePortfolioTool } from '../../tools/optimize-portfolio.js';
import { readBacktest, runBacktestTool } from '../../tools/run-backtest.js';
import type { Tool, ToolPrincipal } from '../../tools/tool.js';
import { chartsFor } from './from-results.js';

const FIVE = ['AAPL', 'KO', 'JNJ', 'XOM', 'MSFT'];

let db: TestDatabase;
let principal: ToolPrincipal;

beforeAll(async () => {
  db = await createTestDatabase();
  await importPaths(
    db.pool,
    FIVE.map((symbol) => path.join(SAMPLE_DIR, `${symbol}.csv.gz`)),
  );
  const { rows } = await db.pool.query<{ id: string }>(
    "SELECT id FROM principals WHERE handle = 'local'",
  );
  principal = { id: rows[0]?.id as string, handle: 'local', scopes: ['read'] };
}, 120_000);

afterAll(async () => {
  await db?.drop();
});

/** One call through the tool gate, as an MCP client would make it. */
async function call(tool: Tool, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const context = createToolContext({
    principal,
    pool: db.pool,
    orders: {} as never,
    channel: 'mcp',
  });
  const result = await invokeTool(tool, args, context);
  if (!result.ok) throw new Error(`${result.code}: ${result.message}`);
  return result.output;
}

function pngSize(png: Buffer): { width: number; height: number } {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

const backtest = { strategy: 'sma_cross', symbols: ['AAPL'], params: { fast: 20, slow: 100 } };

describe('chartsFor run_backtest', () => {
  it('draws the equity chart of a full result with its curve', async () => {
    const output = await call(runBacktestTool as unknown as Tool, {
      ...backtest,
      detail: 'full',
      curve: true,
    });
    const charts = chartsFor('run_backtest', output);
    expect(charts.map((chart) => chart.name)).toEqual(['backtest-equity.png']);
    expect(charts[0]?.title).toBe(
      `sma_cross on AAPL · ${output.start as string} to ${output.end as string}`,
    );
    expect(pngSize(charts[0]?.png as Buffer)).toEqual({ width: 800, height: 500 });
  });

  it('draws nothing for a summary result, which has no curve, but draws its stored run', async () => {
    const output = await call(runBacktestTool as unknown as Tool, backtest);
    expect(output.curve).toBeUndefined();
    expect(chartsFor('run_backtest', output)).toEqual([]);
    const stored = await readBacktest(db.pool, principal, output.id as string);
    if (!stored.ok) throw new Error(stored.message);
    const charts = chartsFor('run_backtest', stored.output);
    expect(charts.map((chart) => chart.name)).toEqual(['backtest-equity.png']);
    expect(pngSize(charts[0]?.png as Buffer).width).toBe(800);
  });
});

describe('chartsFor optimize_portfolio', () => {
  it('draws the weights, and the frontier when the result has one', async () => {
    const args = { symbols: FIVE, end: '2021-04-21', min_weight: -0.2 };
    const plain = await call(optimizePortfolioTool as unknown as Tool, args);
    expect(chartsFor('optimize_portfolio', plain).map((chart) => chart.name)).toEqual([
      'portfolio-weights.png',
    ]);
    const withFrontier = await call(optimizePortfolioTool as unknown as Tool, {
      ...args,
      frontier_points: 20,
    });
    const charts = chartsFor('optimize_portfolio', withFrontier);
    expect(charts.map((chart) => chart.name)).toEqual([
      'portfolio-weights.png',
      'efficient-frontier.png',
    ]);
    expect(charts.map((chart) => chart.title)).toEqual([
      'Weights (max_sharpe) · to 2021-04-21',
      'Efficient frontier · to 2021-04-21',
    ]);
    for (const chart of charts) expect(pngSize(chart.png)).toEqual({ width: 800, height: 500 });
  });
});

describe('chartsFor on outputs it cannot chart', () => {
  it.each([
    ['get_quote', { symbol: 'AAPL', price: 1 }],
    ['run_backtest', {}],
    ['run_backtest', { curve: 'no' }],
    ['run_backtest', { curve: { dates: ['2021-01-04'], equity: [1] } }],
    ['run_backtest', { curve: { dates: [1, 2], equity: [null, 'x'] } }],
    ['run_backtest', { equity_curve: [null, 3, { date: 5 }] }],
    ['optimize_portfolio', { weights: 'AAPL' }],
    ['optimize_portfolio', { weights: [{ symbol: 1, weight: 'x' }], frontier: [{}] }],
    ['optimize_portfolio', { weights: [], frontier: null }],
    ['toString', {}],
    ['__proto__', {}],
  ])('%s %j gives []', (tool, output) => {
    expect(chartsFor(tool, output as Record<string, unknown>)).toEqual([]);
  });

  it('gives [] for an output that is not an object at all', () => {
    for (const output of [null, undefined, 7, 'text', [1, 2]])
      expect(chartsFor('run_backtest', output as never)).toEqual([]);
  });
});
