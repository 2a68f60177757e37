/** run_backtest's engine settings, detail full, --data files and per-channel limits, through invokeTool on a real database. */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../config/logger.js';
import { runBacktest } from '../core/engine/backtest.js';
import { priceView } from '../core/series/price-series.js';
import { importPaths } from '../store/market-data/import-paths.js';
import { loadSeries } from '../store/market-data/load-series.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database.js';
import { SAMPLE_DIR } from '../test/helpers/fixtures.js';
import { createToolContext } from './context.js';
import { invokeTool } from './invoke.js';
import { type RunBacktestOutput, runBacktestTool } from './run-backtest.js';
import type { Tool, ToolChannel } from './tool.js';

let db: TestDatabase;
let local: string;

beforeAll(async () => {
  db = await createTestDatabase();
  await importPaths(db.pool, [
    path.join(SAMPLE_DIR, 'AAPL.csv.gz'),
    path.join(SAMPLE_DIR, 'KO.csv.gz'),
  ]);
  local = (await db.pool.query<{ id: string }>("SELECT id FROM principals WHERE handle = 'local'"))
    .rows[0]?.id as string;
}, 120_000);

afterAll(async () => {
  await db?.drop();
});

function context(options: { channel?: ToolChannel; seriesFiles?: string } = {}) {
  return createToolContext({
    principal: { id: local, handle: 'local', scopes: ['read'] },
    pool: db.pool,
    orders: {} as never,
    channel: options.channel ?? 'mcp',
    logger: silentLogger(),
    ...(options.seriesFiles !== undefined ? { seriesFiles: options.seriesFiles } : {}),
  });
}

async function backtest(
  args: Record<string, unknown>,
  options: { channel?: ToolChannel; seriesFiles?: string } = {},
) {
  return invokeTool(runBacktestTool as unknown as Tool, args, context(options));
}

async function ok(
  args: Record<string, unknown>,
  options: { channel?: ToolChannel; seriesFiles?: string } = {},
): Promise<RunBacktestOutput> {
  const result = await backtest(args, options);
  if (!result.ok) throw new Error(`${result.code}: ${result.message}`);
  return result.output as RunBacktestOutput;
}

const range = { symbols: ['AAPL', 'KO'], from: '2005-01-01', to: '2015-12-31' };

async function direct(config: Parameters<typeof runBacktest>[0]['config']) {
  const series = await loadSeries({ kind: 'database', pool: db.pool }, range);
  return runBacktest({
    strategy: 'sma_cross',
    params: { fast: 10, slow: 40 },
    views: series.map((one) => priceView(one, 'adjusted')),
    config,
  });
}

const base = {
  strategy: 'sma_cross',
  symbols: range.symbols,
  params: { fast: 10, slow: 40 },
  start: range.from,
  end: range.to,
};

describe('run_backtest engine settings', () => {
  it('runs the engine with each setting it is given, as runBacktest does', async () => {
    const settings = {
      direction: 'long_short',
      sizing: 'volatility:0.15:30',
      fractional: true,
      commission_per_share: 0.01,
      commission_min: 1,
      stop_loss: 0.05,
      take_profit: 0.3,
      trailing_stop: 0.1,
      order_type: 'limit',
      order_offset_bps: 20,
      order_valid_bars: 3,
    };
    const result = await ok({ ...base, ...settings, detail: 'full' });
    const expected = await direct({
      direction: 'long_short',
      sizing: { kind: 'volatility', target: 0.15, lookback: 30 },
      fractional: true,
      commission: { perShare: 0.01, bps: 0, minimum: 1 },
      stopLoss: 0.05,
      takeProfit: 0.3,
      trailingStop: 0.1,
      entryOrder: { type: 'limit', offsetBps: 20, validBars: 3 },
    });
    expect(result.final_equity).toBe(expected.finalEquity);
    expect(result.trade_count).toBe(expected.metrics.tradeCount);
    expect(result.trades.some((trade) => trade.direction === 'short')).toBe(true);
    expect(result.inputs?.config).toMatchObject({
      direction: 'long_short',
      sizing: { kind: 'volatility', target: 0.15, lookback: 30 },
      fractional: true,
      entry_order: { type: 'limit', offset_bps: 20, valid_bars: 3 },
      commission: { per_share: 0.01, bps: 0, minimum: 1 },
      stop_loss: 0.05,
      take_profit: 0.3,
      trailing_stop: 0.1,
    });
    // The run is stored with the settings it was given and where its bars came from.
    const { rows } = await db.pool.query('SELECT settings FROM backtests WHERE id = $1', [
      result.id,
    ]);
    expect(rows[0]?.settings).toEqual({
      cash: 100_000,
      commission_bps: 0,
      slippage_bps: 0,
      fill: 'next_open',
      price_mode: 'adjusted',
      bars_from: 'database',
      ...settings,
    });
  });

  it('sizes entries by fraction and notional', async () => {
    for (const [spec, sizing] of [
      ['fraction:0.5', { kind: 'fraction', fraction: 0.5 }],
      ['notional:10000', { kind: 'notional', amount: 10_000 }],
    ] as const) {
      const result = await ok({ ...base, sizing: spec });
      expect(result.final_equity).toBe((await direct({ sizing })).finalEquity);
    }
  });

  it('refuses a bad sizing spec at the schema and an out-of-range setting with the engine message', async () => {
    const spec = await backtest({ ...base, sizing: 'half' });
    expect(spec).toMatchObject({ ok: false, code: 'bad_input' });
    if (!spec.ok) expect(spec.message).toMatch(/sizing .*all_in, fraction:F/);
    const stop = await backtest({ ...base, stop_loss: 2 });
    expect(stop).toMatchObject({ ok: false, code: 'bad_input' });
    if (!stop.ok) expect(stop.message).toContain('stop-loss must be a fraction above 0');
  });

  it('keeps the defaults: the same figures and stored settings as before the new inputs', async () => {
    const result = await ok(base);
    expect(result.final_equity).toBe((await direct({})).finalEquity);
    expect(result.fills).toBeUndefined();
    expect(result.metrics).toBeUndefined();
    const { rows } = await db.pool.query('SELECT settings FROM backtests WHERE id = $1', [
      result.id,
    ]);
    expect(rows[0]?.settings).toEqual({
      cash: 100_000,
      commission_bps: 0,
      slippage_bps: 0,
      fill: 'next_open',
      price_mode: 'adjusted',
      bars_from: 'database',
    });
  });
});

describe('run_backtest detail full', () => {
  it('returns every fill and trade, all metrics, the end state and the replay record; the curve on request', async () => {
    const expected = await direct({});
    const result = await ok({ ...base, detail: 'full' });
    expect(result.fills).toHaveLength(expected.fills.length);
    expect(result.fills?.[0]).toEqual({
      symbol: expected.fills[0]?.symbol,
      date: expected.fills[0]?.date,
      side: expected.fills[0]?.side,
      shares: expected.fills[0]?.shares,
      price: expected.fills[0]?.price,
      commission: expected.fills[0]?.commission,
      slippage: expected.fills[0]?.slippage,
      reason: expected.fills[0]?.reason,
    });
    expect(result.trades).toHaveLength(expected.trades.length);
    expect(result.trades_omitted).toBe(0);
    expect(result.final_cash).toBe(expected.finalCash);
    expect(result.final_shares).toEqual(expected.finalShares);
    expect(result.metrics?.sortino).toBe(expected.metrics.sortino);
    expect(result.metrics?.max_drawdown.peak_date).toBe(expected.metrics.maxDrawdown.peakDate);
    expect(result.inputs?.data.map((one) => one.symbol)).toEqual(['AAPL', 'KO']);
    expect(result.run_ms).toBeGreaterThan(0);
    expect(result.curve).toBeUndefined();
    const withCurve = await ok({ ...base, detail: 'full', curve: true });
    expect(withCurve.curve?.dates).toHaveLength(expected.curve.dates.length);
    expect(withCurve.curve?.equity.at(-1)).toBe(expected.curve.equity.at(-1));
  });
});

describe('run_backtest bars and limits per transport', () => {
  it('reads the files a transport names (seriesFiles) with the same figures as the database, and records it', async () => {
    const fromFiles = await ok({ ...base, detail: 'full' }, { seriesFiles: SAMPLE_DIR });
    const fromDatabase = await ok({ ...base, detail: 'full' });
    expect(fromFiles.final_equity).toBe(fromDatabase.final_equity);
    expect(fromFiles.metrics).toEqual(fromDatabase.metrics);
    const { rows } = await db.pool.query('SELECT settings FROM backtests WHERE id = $1', [
      fromFiles.id,
    ]);
    expect(rows[0]?.settings.bars_from).toBe('files');
    const missing = await backtest({ ...base, symbols: ['ZZZZ'] }, { seriesFiles: SAMPLE_DIR });
    expect(missing).toMatchObject({ ok: false, code: 'bad_input' });
    if (!missing.ok) expect(missing.message).toContain('no file for ZZZZ in');
  });

  it('holds a server call to 50 symbols; the command line is not held to it', async () => {
    const symbols = Array.from({ length: 51 }, (_, k) => `S${k}`);
    const server = await backtest({ strategy: 'buy_and_hold', symbols });
    expect(server).toMatchObject({ ok: false, code: 'bad_input' });
    if (!server.ok) expect(server.message).toContain('a backtest takes 1 to 50');
    // Over the CLI the call goes on to the data, which do not have these made-up tickers.
    const cli = await backtest({ strategy: 'buy_and_hold', symbols }, { channel: 'cli' });
    expect(cli).toMatchObject({ ok: false, code: 'bad_input' });
    if (!cli.ok) expect(cli.message).toContain('no prices for S0');
  });
});
