/** The research tools (quote, bars, backtest, screen, portfolio, rebalance) against a real database with the sample. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../config/logger.js';
import { runBacktest } from '../core/engine/backtest.js';
import { ENGINE_VERSION } from '../core/engine/version.js';
import { priceView } from '../core/series/price-series.js';
import { importPaths } from '../store/market-data/import-paths.js';
import { loadSeries } from '../store/market-data/load-series.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database.js';
import { SAMPLE_DIR, sampleLines } from '../test/helpers/fixtures.js';
import { getBars } from './get-bars.js';
import { getQuote } from './get-quote.js';
import { optimizePortfolioTool } from './optimize-portfolio.js';
import { planRebalanceTool } from './plan-rebalance.js';
import { readBacktest, runBacktestTool } from './run-backtest.js';
import { screenStocksTool } from './screen-stocks.js';
import { type Tool, type ToolContext, ToolError } from './tool.js';

let db: TestDatabase;
/** The migrations' 'local' principal: run_backtest stores who ran it. */
let local: string;
let progressCalls: { done: number; total: number; message?: string }[] = [];

function context(): ToolContext {
  return {
    principal: { id: local, handle: 'local', scopes: ['read'] },
    pool: db.pool,
    orders: {} as never,
    channel: 'mcp',
    proposerKind: 'mcp_client',
    logger: silentLogger(),
    progress: (done, total, message) => progressCalls.push({ done, total, message }),
    signal: new AbortController().signal,
    now: () => new Date('2021-05-01T00:00:00Z'),
  };
}

/** Validates the input, runs the handler and validates the output, as a transport would. */
async function call(tool: Tool, raw: unknown): Promise<Record<string, unknown>> {
  const input = tool.input.parse(raw);
  const result = await tool.handler(input, context());
  return tool.output.parse(result) as Record<string, unknown>;
}

async function failure(tool: Tool, raw: unknown): Promise<ToolError> {
  const error = await call(tool, raw).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ToolError);
  return error as ToolError;
}

/** The last two sample lines of a symbol as [date, open, high, low, close, adj_close, volume]. */
async function lastLines(symbol: string): Promise<string[][]> {
  const lines = await sampleLines(symbol);
  const header = (lines[0] ?? '').toLowerCase().split(',');
  const pick = (line: string) => {
    const cells = line.split(',');
    return ['date', 'open', 'high', 'low', 'close', 'volume'].map(
      (name) => cells[header.indexOf(name)] ?? '',
    );
  };
  return lines.slice(-2).map(pick);
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

describe('get_quote', () => {
  it("quotes the last sample bar's close with the change against the previous close", async () => {
    const [previous, last] = await lastLines('AAPL');
    const quote = await call(getQuote, { symbol: 'aapl' });
    expect(quote.symbol).toBe('AAPL');
    expect(quote.currency).toBe('USD');
    expect(quote.as_of).toBe(last?.[0]);
    expect(quote.price).toBe(Number(last?.[4]));
    expect(quote.open).toBe(Number(last?.[1]));
    expect(quote.volume).toBe(Number(last?.[5]));
    expect(quote.previous_close).toBe(Number(previous?.[4]));
    expect(quote.change).toBeCloseTo(Number(last?.[4]) - Number(previous?.[4]), 9);
  });

  it('names an unknown symbol', async () => {
    const error = await failure(getQuote, { symbol: 'NOPE' });
    expect(error.code).toBe('not_found');
    expect(error.message).toContain('NOPE');
  });

  it('refuses an input without a symbol at the schema', () => {
    expect(getQuote.input.safeParse({}).success).toBe(false);
  });
});

describe('get_bars', () => {
  it('returns the last 60 bars by default, oldest first, ending on the quote date', async () => {
    const [, last] = await lastLines('AAPL');
    const result = await call(getBars, { symbol: 'AAPL' });
    const bars = result.bars as { date: string; close: number }[];
    expect(bars).toHaveLength(60);
    expect(result.count).toBe(60);
    expect(result.truncated).toBe(true);
    expect(bars.at(-1)?.date).toBe(last?.[0]);
    expect(bars.at(-1)?.close).toBe(Number(last?.[4]));
    expect(bars.map((bar) => bar.date)).toEqual(bars.map((bar) => bar.date).sort());
  });

  it('returns a range, and adjusted closes equal the adjusted series', async () => {
    const result = await call(getBars, {
      symbol: 'AAPL',
      start: '2010-01-01',
      end: '2010-03-31',
      price_mode: 'adjusted',
    });
    const bars = result.bars as { date: string; close: number; high: number; low: number }[];
    expect(result.truncated).toBe(false);
    expect((bars[0]?.date ?? '') >= '2010-01-01').toBe(true);
    expect((bars.at(-1)?.date ?? '9999') <= '2010-03-31').toBe(true);
    const [series] = await loadSeries(
      { kind: 'database', pool: db.pool },
      { symbols: ['AAPL'], from: '2010-01-01', to: '2010-03-31' },
    );
    expect(bars.map((bar) => bar.close)).toEqual(Array.from(series?.adjClose ?? []));
    for (const bar of bars) expect(bar.low <= bar.close && bar.close <= bar.high).toBe(true);
  });

  it('caps a long range at 1000 bars and says so', async () => {
    const result = await call(getBars, { symbol: 'AAPL', start: '2000-01-01' });
    expect(result.count).toBe(1000);
    expect(result.truncated).toBe(true);
  });

  it('rejects a limit above 1000 and explains an empty range', async () => {
    expect(getBars.input.safeParse({ symbol: 'AAPL', limit: 1001 }).success).toBe(false);
    const error = await failure(getBars, {
      symbol: 'AAPL',
      start: '1980-01-01',
      end: '1980-12-31',
    });
    expect(error.message).toMatch(/AAPL.*spans/);
  });
});

describe('run_backtest', () => {
  it('gives the same final equity as runBacktest, reports progress, lists at most 20 trades', async () => {
    progressCalls = [];
    const result = await call(runBacktestTool, {
      strategy: 'sma_cross',
      symbols: ['AAPL'],
      params: { fast: 20, slow: 100 },
      start: '2005-01-01',
      end: '2015-12-31',
    });
    const series = await loadSeries(
      { kind: 'database', pool: db.pool },
      { symbols: ['AAPL'], from: '2005-01-01', to: '2015-12-31' },
    );
    // The default prices: adjusted signals and returns, traded fills.
    const direct = runBacktest({
      strategy: 'sma_cross',
      params: { fast: 20, slow: 100 },
      views: series.map((one) => priceView(one, 'adjusted')),
    });
    expect(result.final_equity).toBe(direct.finalEquity);
    expect(result.trade_count).toBe(direct.metrics.tradeCount);
    expect(result.sharpe).toBe(direct.metrics.sharpe);
    expect(result.max_drawdown).toBe(direct.metrics.maxDrawdown.depth);
    expect(result.params).toEqual({ fast: 20, slow: 100 });
    const trades = result.trades as unknown[];
    expect(trades.length).toBe(Math.min(20, direct.trades.length));
    expect(result.trades_omitted).toBe(direct.trades.length - trades.length);
    expect(progressCalls.length).toBeGreaterThanOrEqual(3);
    expect(progressCalls.at(-1)).toMatchObject({ done: 3, total: 3 });
  });

  it('defaults to adjusted prices: AAPL sma_cross 10/50 returns thousands of percent, fills at traded prices', async () => {
    const request = { strategy: 'sma_cross', symbols: ['AAPL'], params: { fast: 10, slow: 50 } };
    const adjusted = await call(runBacktestTool, request);
    const raw = await call(runBacktestTool, { ...request, price_mode: 'raw' });
    expect(adjusted.price_mode).toBe('adjusted');
    expect(adjusted.prices).toMatch(/adjusted prices; fills at the prices traded/);
    // Across AAPL's four splits raw prices read as crashes (36 %); adjusted is the real return.
    expect(adjusted.total_return as number).toBeGreaterThan(30);
    expect(raw.total_return as number).toBeLessThan(1);
    expect(raw.price_mode).toBe('raw');
    expect(raw.splits_applied).toBe(0);
    expect(adjusted.splits_applied as number).toBeGreaterThan(0);
    expect(adjusted.dividends as number).toBeGreaterThan(0);
    const [series] = await loadSeries({ kind: 'database', pool: db.pool }, { symbols: ['AAPL'] });
    const opens = new Map(series?.dates.map((date, i) => [date, series.open[i]]));
    const trades = adjusted.trades as {
      exit_date: string;
      exit_price: number;
      exit_reason: string;
    }[];
    for (const trade of trades.filter((one) => one.exit_reason === 'signal'))
      expect(trade.exit_price).toBe(opens.get(trade.exit_date));
  });

  it('stores each run: the result names its id and backtest:// resource, the row holds every trade', async () => {
    const request = {
      strategy: 'sma_cross',
      symbols: ['aapl', 'KO'],
      params: { fast: 10, slow: 30 },
      start: '2005-01-01',
      end: '2015-12-31',
      commission_bps: 5,
    };
    const result = await call(runBacktestTool, request);
    const id = result.id as string;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.resource).toBe(`backtest://${id}`);
    const { rows } = await db.pool.query(
      'SELECT created_by, status, strategy, params, symbols, start_date, end_date, settings, engine_version, jsonb_array_length(trades) AS trades, jsonb_array_length(equity_curve) AS points, metrics FROM backtests WHERE id = $1',
      [id],
    );
    expect(rows[0]).toMatchObject({
      created_by: local,
      status: 'done',
      strategy: 'sma_cross',
      params: { fast: 10, slow: 30 },
      symbols: ['AAPL', 'KO'],
      start_date: result.start,
      end_date: result.end,
      settings: {
        cash: 100_000,
        commission_bps: 5,
        slippage_bps: 0,
        fill: 'next_open',
        price_mode: 'adjusted',
      },
      engine_version: ENGINE_VERSION,
      trades: result.trade_count,
      points: 500,
      metrics: {
        final_equity: result.final_equity,
        sharpe: result.sharpe,
        max_drawdown: result.max_drawdown,
        trade_count: result.trade_count,
      },
    });
    expect(result.trade_count as number).toBeGreaterThan(20);
    // The listed trades are the last stored ones.
    const read = await readBacktest(db.pool, context().principal, id);
    if (!read.ok) throw new Error(read.message);
    const stored = read.output as { trades: unknown[]; equity_curve: { date: string }[] };
    expect(stored.trades.slice(-20)).toEqual(result.trades);
    expect(stored.equity_curve[0]?.date).toBe(result.start);
    expect(stored.equity_curve.at(-1)?.date).toBe(result.end);
  });

  it('readBacktest answers not_found, bad_input and forbidden as values naming the id', async () => {
    const { principal } = context();
    const unknown = await readBacktest(db.pool, principal, '00000000-0000-4000-8000-000000000000');
    expect(unknown).toMatchObject({ ok: false, code: 'not_found' });
    expect((unknown as { message: string }).message).toContain(
      '00000000-0000-4000-8000-000000000000',
    );
    const malformed = await readBacktest(db.pool, principal, 'not-an-id');
    expect(malformed).toMatchObject({ ok: false, code: 'bad_input' });
    expect((malformed as { message: string }).message).toContain('"not-an-id" is not a uuid');
    const noScope = await readBacktest(
      db.pool,
      { ...principal, scopes: ['propose'] },
      '00000000-0000-4000-8000-000000000000',
    );
    expect(noScope).toMatchObject({ ok: false, code: 'forbidden' });
  });

  it('passes costs and fill settings through', async () => {
    const free = await call(runBacktestTool, { strategy: 'buy_and_hold', symbols: ['KO'] });
    const costly = await call(runBacktestTool, {
      strategy: 'buy_and_hold',
      symbols: ['KO'],
      commission_bps: 50,
      slippage_bps: 50,
    });
    expect(costly.final_equity as number).toBeLessThan(free.final_equity as number);
  });

  it('answers bad parameters, unknown symbols and empty ranges with bad_input and the reason', async () => {
    const params = await failure(runBacktestTool, {
      strategy: 'sma_cross',
      symbols: ['AAPL'],
      params: { fast: 0 },
    });
    expect(params.code).toBe('bad_input');
    expect(params.message).toContain('fast must be a whole number from 1 to 250');
    const unknown = await failure(runBacktestTool, { strategy: 'sma_cross', symbols: ['NOPE'] });
    expect(unknown.message).toContain('no prices for NOPE');
    const range = await failure(runBacktestTool, {
      strategy: 'sma_cross',
      symbols: ['AAPL'],
      start: '1980-01-01',
      end: '1981-01-01',
    });
    expect(range.message).toMatch(/spans/);
    expect(runBacktestTool.input.safeParse({ strategy: 'nope', symbols: ['AAPL'] }).success).toBe(
      false,
    );
    expect(runBacktestTool.input.safeParse({ strategy: 'sma_cross', symbols: [] }).success).toBe(
      false,
    );
  });
});

describe('screen_stocks', () => {
  it('ranks the universe on a date with contributions and respects filters', async () => {
    const result = await call(screenStocksTool, { as_of: '2020-12-31', top: 5 });
    const rows = result.rows as {
      rank: number;
      symbol: string;
      score: number;
      contributions: Record<string, number>;
    }[];
    expect(rows.map((row) => row.rank)).toEqual([1, 2, 3, 4, 5]);
    expect(result.universe).toBe(44);
    for (const row of rows) {
      const sum = Object.values(row.contributions).reduce((a, b) => a + b, 0);
      expect(row.score).toBeCloseTo(sum, 9);
    }
    const scores = rows.map((row) => row.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    const tech = await call(screenStocksTool, {
      as_of: '2020-12-31',
      sectors: ['information technology'],
      weights: { momentum_12_1: 1 },
    });
    const techRows = tech.rows as { sector: string }[];
    expect(techRows.length).toBeGreaterThan(0);
    for (const row of techRows) expect(row.sector.toLowerCase()).toBe('information technology');
  });

  it('defaults as_of to the latest bar', async () => {
    const [, last] = await lastLines('AAPL');
    const result = await call(screenStocksTool, {});
    expect(result.as_of).toBe(last?.[0]);
    expect((result.rows as unknown[]).length).toBe(20);
  });

  it('names an unknown factor and an unknown sector', async () => {
    const factor = await failure(screenStocksTool, { as_of: '2020-12-31', weights: { magic: 1 } });
    expect(factor.code).toBe('bad_input');
    expect(factor.message).toContain('magic');
    const sector = await failure(screenStocksTool, { as_of: '2020-12-31', sectors: ['Nowhere'] });
    expect(sector.message).toContain('Nowhere');
  });
});

describe('optimize_portfolio', () => {
  it('returns weights as an array summing to 1 within the caps, with the estimators used', async () => {
    const result = await call(optimizePortfolioTool, {
      symbols: ['AAPL', 'KO', 'XOM', 'JPM'],
      objective: 'min_variance',
      end: '2020-12-31',
      max_weight: 0.4,
    });
    const weights = result.weights as { symbol: string; weight: number }[];
    expect(weights.map((w) => w.symbol)).toEqual(['AAPL', 'KO', 'XOM', 'JPM']);
    expect(weights.reduce((a, w) => a + w.weight, 0)).toBeCloseTo(1, 9);
    for (const w of weights) expect(w.weight).toBeLessThanOrEqual(0.4 + 1e-9);
    expect(result.lookback).toBe(756);
    expect(result.end).toBe('2020-12-31');
    expect(result.mean_estimator).toBe('historical');
    expect(result.covariance_estimator).toBe('sample');
    expect(result.volatility as number).toBeGreaterThan(0);
  });

  it('answers impossible constraints and short data with bad_input', async () => {
    const infeasible = await failure(optimizePortfolioTool, {
      symbols: ['AAPL', 'KO'],
      max_weight: 0.3,
    });
    expect(infeasible.code).toBe('bad_input');
    expect(infeasible.message.length).toBeGreaterThan(10);
    const short = await failure(optimizePortfolioTool, {
      symbols: ['AAPL', 'KO'],
      end: '2000-06-30',
    });
    expect(short.message).toContain('lookback');
    expect(optimizePortfolioTool.input.safeParse({ symbols: ['AAPL'] }).success).toBe(false);
  });
});

describe('plan_rebalance', () => {
  it('plans buys for the paper account from its cash at the last closes, and only plans', async () => {
    const [, last] = await lastLines('AAPL');
    const result = await call(planRebalanceTool, {
      targets: [
        { symbol: 'AAPL', weight: 0.5 },
        { symbol: 'ko', weight: 0.3 },
      ],
    });
    expect(result.account).toBe('paper');
    expect(result.cash_before).toBe(100_000);
    expect(result.proposed).toBe(false);
    const orders = result.orders as {
      symbol: string;
      side: string;
      quantity: number;
      price: number;
    }[];
    expect(orders.map((o) => [o.symbol, o.side])).toEqual([
      ['AAPL', 'buy'],
      ['KO', 'buy'],
    ]);
    const aapl = orders[0];
    expect(aapl?.price).toBe(Number(last?.[4]));
    expect(aapl?.quantity).toBe(Math.floor(50_000 / Number(last?.[4])));
    expect(result.cash_after as number).toBeGreaterThan(0);
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM proposals');
    expect(rows[0].n).toBe(0);
  });

  it('answers weights over 1, unknown symbols and unknown accounts usefully', async () => {
    const over = await failure(planRebalanceTool, {
      targets: [
        { symbol: 'AAPL', weight: 0.7 },
        { symbol: 'KO', weight: 0.7 },
      ],
    });
    expect(over.code).toBe('bad_input');
    const unknown = await failure(planRebalanceTool, {
      targets: [{ symbol: 'NOPE', weight: 0.1 }],
    });
    expect(unknown.message).toContain('NOPE');
    const account = await failure(planRebalanceTool, { account: 'nobody', targets: [] });
    expect(account.code).toBe('not_found');
  });
});
