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
import { searchTradeHistory } from './search-trade-history.js';
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

  // The run is kept, and retrieval answers "what did the last optimization find?" from it.
  const id = (result.output as { optimization_id: string }).optimization_id;
  const { rows } = await db.pool.query(
    'SELECT strategy, symbols, backtests, best, start_date::text AS start FROM optimizations WHERE id = $1',
    [id],
  );
  expect(rows[0]).toMatchObject({
    strategy: 'sma_cross',
    symbols: ['AAPL', 'KO'],
    backtests: 32,
    start: '2010-01-01',
    best: output.best.map((b) => ({ symbol: b.symbol, params: b.params, score: b.score })),
  });
  const found = await invokeTool(
    searchTradeHistory as unknown as Tool,
    { question: 'what did the last optimization of sma_cross on AAPL find?' },
    context(),
  );
  expect(
    found.ok &&
      (found.output as { passages: { cites: Record<string, string> }[] }).passages[0]?.cites,
  ).toEqual({
    optimization_id: id,
  });
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

type Output = {
  best: { symbol: string; params: Record<string, number>; score: number | null }[];
  backtests: number;
  objective: string;
  objectives?: string[];
  rows?: {
    symbol: string;
    params: Record<string, number>;
    final_equity: number | null;
    trade_count: number | null;
    scores: Record<string, number | null>;
  }[];
  front?: { symbol: string; params: Record<string, number> }[];
  walk_forward?: { symbol: string; folds: unknown[]; summary: { folds: number } }[];
};

async function optimize(args: Record<string, unknown>, extra: Partial<ToolContext> = {}) {
  return invokeTool(optimizeStrategyTool as unknown as Tool, args, { ...context(), ...extra });
}

async function optimized(args: Record<string, unknown>, extra: Partial<ToolContext> = {}) {
  const result = await optimize(args, extra);
  if (!result.ok) throw new Error(`${result.code}: ${result.message}`);
  return result.output as Output;
}

const gridArgs = {
  strategy: 'sma_cross',
  symbols: ['AAPL', 'KO'],
  method: 'grid',
  grid: 'fast=5:20:5,slow=50:150:50',
  trials: 12,
  start: '2010-01-01',
  end: '2019-12-31',
};

it('searches a grid spec; detail full lists every backtest, matching the optimizer row for row', async () => {
  const output = await optimized({ ...gridArgs, detail: 'full' });
  expect(output.rows).toHaveLength(24);
  expect(output.objectives).toEqual(['sharpe']);
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
      method: 'grid',
      axes: { fast: [5, 10, 15, 20], slow: [50, 100, 150] },
      objectives: ['sharpe'],
    },
    runner,
  );
  await runner.close();
  expect(output.rows?.map((row) => [row.symbol, row.params, row.final_equity])).toEqual(
    direct.rows.map((row) => [row.symbol, row.params, row.finalEquity]),
  );
  // The summary answer stays as it was: no rows.
  expect((await optimized(gridArgs)).rows).toBeUndefined();
  const bad = await optimize({ ...gridArgs, grid: 'fast=50:5:5' });
  expect(bad).toMatchObject({ ok: false, code: 'bad_input' });
  if (!bad.ok) expect(bad.message).toContain('min 50 is greater than max 5');
});

it('applies the engine settings to every backtest', async () => {
  const free = await optimized({ ...gridArgs, detail: 'full' });
  const costly = await optimized({
    ...gridArgs,
    commission_bps: 20,
    slippage_bps: 10,
    sizing: 'fraction:0.5',
    detail: 'full',
  });
  const equity = (output: Output) => output.rows?.map((row) => row.final_equity ?? 0) ?? [];
  expect(equity(costly).every((value, k) => value < (equity(free)[k] as number))).toBe(true);
});

it('ranks on several objectives (a Pareto front) and validates walk-forward folds', async () => {
  const output = await optimized({
    ...gridArgs,
    symbols: ['KO'],
    objectives: ['sharpe', 'max_drawdown'],
    walk_forward: 2,
  });
  expect(output.objective).toBe('sharpe');
  expect(output.front?.length).toBeGreaterThan(0);
  expect(output.front?.every((one) => one.symbol === 'KO')).toBe(true);
  expect(output.walk_forward?.[0]?.folds).toHaveLength(2);
  expect(output.walk_forward?.[0]?.summary.folds).toBe(2);
  const unknown = await optimize({ ...gridArgs, objectives: ['luck'] });
  expect(unknown).toMatchObject({ ok: false, code: 'bad_input' });
  if (!unknown.ok) expect(unknown.message).toContain('unknown objective "luck"');
});

it("runs on the transport's task runner and leaves it open; reads the transport's files", async () => {
  const inner = createThreadRunner(1);
  let tasks = 0;
  let closed = false;
  const taskRunner = {
    ...inner,
    kind: inner.kind,
    parallelism: inner.parallelism,
    run: (...args: Parameters<typeof inner.run>) => {
      tasks++;
      return inner.run(...args);
    },
    close: async () => {
      closed = true;
    },
  };
  const fromFiles = await optimized(
    { ...gridArgs, detail: 'full' },
    { taskRunner, seriesFiles: SAMPLE_DIR },
  );
  expect(tasks).toBeGreaterThan(0);
  expect(closed).toBe(false);
  const fromDatabase = await optimized({ ...gridArgs, detail: 'full' });
  expect(fromFiles.rows).toEqual(fromDatabase.rows);
});

it('holds a server call to its budget, walk-forward folds counted; the command line is not', async () => {
  const folds = await optimize({
    ...gridArgs,
    trials: 2000,
    symbols: ['AAPL', 'KO'],
    walk_forward: 5,
  });
  expect(folds).toMatchObject({ ok: false, code: 'bad_input' });
  if (!folds.ok)
    expect(folds.message).toContain(
      '2 symbols × 2000 trials × 6 searches (walk_forward 5) = 24000 backtests, more than 20000',
    );
  const trials = await optimize({ ...gridArgs, trials: 5000 });
  expect(trials).toMatchObject({ ok: false, code: 'bad_input' });
  if (!trials.ok) expect(trials.message).toContain('trials 5000 is more than 2000');
  // Over the CLI a grid capped at 5000 runs: it has 12 combinations per symbol.
  const cli = await optimized({ ...gridArgs, trials: 5000 }, { channel: 'cli' });
  expect(cli.backtests).toBe(24);
});
