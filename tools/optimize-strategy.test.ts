/** optimize_strategy over the real database: the same best parameters as the optimizer itself, progress, limits and cancel. */
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { silentLogger } from '../config/logger.js';
import { optimizeStrategy } from '../store/jobs/optimize-strategy.js';
import { createThreadRunner } from '../store/jobs/task-runner.js';
import { importPaths } from '../store/market-data/import-paths.js';
import { loadSeries } from '../store/market-data/load-series.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database.js';
import { SAMPLE_DIR } from '../test/helpers/fixtures.js';
import { invokeTool } from './invoke.js';
import { optimizeStrategyTool } from './optimize-strategy.js';
import type { Tool, ToolContext } from './tool.js';

let db: TestDatabase;
let principalId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  await importPaths(db.pool, [
    path.join(SAMPLE_DIR, 'AAPL.csv.gz'),
    path.join(SAMPLE_DIR, 'KO.csv.gz'),
  ]);
  principalId = (
    await db.pool.query<{ id: string }>("SELECT id FROM principals WHERE handle = 'local'")
  ).rows[0]?.id as string;
});

afterAll(async () => {
  await db.drop();
});

const context = (
  signal = new AbortController().signal,
  progress: ToolContext['progress'] = () => undefined,
): ToolContext => ({
  principal: { id: principalId, handle: 'local', scopes: ['read'] },
  pool: db.pool,
  orders: {} as never,
  channel: 'mcp',
  proposerKind: 'mcp_client',
  logger: silentLogger(),
  progress,
  signal,
  now: () => new Date(),
});

it('finds the same best parameters as the optimizer, per symbol, and reports progress', async () => {
  const steps: number[] = [];
  const result = await invokeTool(
    optimizeStrategyTool as unknown as Tool,
    {
      strategy: 'sma_cross',
      symbols: ['aapl', 'KO'],
      method: 'tpe',
      trials: 16,
      start: '2010-01-01',
      end: '2019-12-31',
    },
    context(undefined, (done) => steps.push(done)),
  );
  expect(result.ok).toBe(true);
  if (!result.ok) return;
  const output = result.output as {
    best: { symbol: string; params: Record<string, number>; score: number | null }[];
    backtests: number;
    price_mode: string;
  };
  expect(output.price_mode).toBe('adjusted');
  expect(output.best.map((b) => b.symbol)).toEqual(['AAPL', 'KO']);
  expect(output.backtests).toBe(32);
  expect(steps.at(-1)).toBe(32);
  const series = await loadSeries(
    { kind: 'database', pool: db.pool },
    { symbols: ['AAPL', 'KO'], from: '2010-01-01', to: '2019-12-31' },
  );
  const runner = createThreadRunner(1);
  const direct = await optimizeStrategy(
    {
      strategy: 'sma_cross',
      symbols: ['AAPL', 'KO'],
      source: { kind: 'series', series },
      from: '2010-01-01',
      to: '2019-12-31',
      config: {},
      method: 'tpe',
      trials: 16,
      seed: 1,
      objectives: ['sharpe'],
    },
    runner,
  );
  await runner.close();
  expect(direct.priceMode).toBe('adjusted');
  expect(output.best.map((b) => b.params)).toEqual(direct.best.map((b) => b.params));
});

it('refuses more than the backtest budget, unknown parameters and a cancelled call, with messages', async () => {
  const tooMany = await invokeTool(
    optimizeStrategyTool as unknown as Tool,
    { strategy: 'sma_cross', symbols: Array.from({ length: 20 }, () => 'AAPL'), trials: 2000 },
    context(),
  );
  expect(tooMany).toMatchObject({ ok: false, code: 'bad_input' });
  if (!tooMany.ok)
    expect(tooMany.message).toMatch(/20 symbols × 2000 trials = 40000 backtests, more than 20000/);
  const aborted = new AbortController();
  aborted.abort();
  const cancelled = await invokeTool(
    optimizeStrategyTool as unknown as Tool,
    { strategy: 'sma_cross', symbols: ['AAPL'], trials: 10 },
    context(aborted.signal),
  );
  expect(cancelled).toMatchObject({ ok: false });
});
