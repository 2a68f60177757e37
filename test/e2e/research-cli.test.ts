/**
 * `countersign backtest` and `optimize` as a user runs them: real processes, sample CSV files or
 * the database (which holds the same sample), exit codes; each run goes through its tool
 * (run_backtest, optimize_strategy) with channel cli and leaves one audit entry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importPaths } from '../../store/market-data/import-paths.js';
import { runCli as runCliIn, withoutNotices } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { SAMPLE_DIR } from '../helpers/fixtures.js';

const data = ['--data', SAMPLE_DIR];
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
  await importPaths(db.pool, [SAMPLE_DIR]);
}, 120_000);

afterAll(async () => {
  await db?.drop();
});

/** Runs the CLI on this file's database. */
const runCli = (args: string[]) => runCliIn(args, { DATABASE_URL: db.url });

/** The tool.called entries of `tool` so far, oldest first. */
async function toolCalls(tool: string) {
  const { rows } = await db.pool.query<{ channel: string; actor_id: string; outcome: string }>(
    `SELECT channel, actor_id, after->>'outcome' AS outcome FROM audit_log
      WHERE action = 'tool.called' AND entity_kind = 'tool' AND entity_id = $1 ORDER BY seq`,
    [tool],
  );
  return rows;
}

/** The id of the command-line principal `local`. */
async function localPrincipal(): Promise<string> {
  const { rows } = await db.pool.query<{ id: string }>(
    "SELECT id FROM principals WHERE handle = 'local'",
  );
  return rows[0]?.id as string;
}

describe('countersign backtest --data', () => {
  it('prints one JSON object with final_equity, fills, trades, metrics and elapsed_ms', async () => {
    const run = await runCli([
      'backtest',
      '--strategy',
      'sma_cross',
      '--symbols',
      'AAPL',
      '--params',
      'fast=10,slow=50',
      ...data,
      '--json',
    ]);
    expect(withoutNotices(run.stderr)).toBe('');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    // The default prices: adjusted signals and returns (AAPL split four times), traded fills.
    expect(out.price_mode).toBe('adjusted');
    expect(out.prices).toMatch(/^signals and returns on split- and dividend-adjusted prices/);
    expect(out.final_equity).toBe(6195735.395);
    expect(out.metrics.total_return).toBeGreaterThan(60);
    expect(out.corporate_actions).toEqual({ dividends: 251118.48, splits_applied: 3 });
    expect(out.fills).toHaveLength(131);
    expect(out.fills[0]).toEqual({ date: '2000-01-24', side: 'buy', shares: 922, price: 108.44 });
    expect(Object.keys(out.fills[1])).toEqual(['date', 'side', 'shares', 'price']);
    expect(out.trades[0]).toMatchObject({
      entry_date: '2000-01-24',
      exit_date: '2000-04-18',
      quantity: 922,
      exit_reason: 'signal',
    });
    expect(out.metrics.trade_count).toBe(66);
    expect(out.metrics.max_drawdown.depth).toBeGreaterThan(0);
    expect(out.inputs.config).toMatchObject({
      cash: 100000,
      fill: 'next_open',
      sizing: { kind: 'all_in' },
    });
    expect(out.elapsed_ms).toBeGreaterThan(0);
  });

  it('--price raw trades on raw prices throughout, and says so', async () => {
    const run = await runCli([
      'backtest',
      '--strategy',
      'sma_cross',
      '--symbols',
      'AAPL',
      '--params',
      'fast=10,slow=50',
      '--price',
      'raw',
      ...data,
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Prices +raw: raw traded prices throughout/);
    expect(run.stdout).toMatch(/Final equity +136,652\.59 from 100,000\.00/);
  });

  it('honours the date range, costs and sizing options', async () => {
    const run = await runCli([
      'backtest',
      '--strategy',
      'ema_cross',
      '--symbols',
      'MSFT,KO',
      '--from',
      '2010-01-01',
      '--to',
      '2015-12-31',
      '--price',
      'adjusted',
      '--sizing',
      'fraction:0.5',
      '--commission-bps',
      '5',
      '--slippage-bps',
      '2',
      ...data,
      '--json',
    ]);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.metrics.start_date).toBe('2010-01-04');
    expect(out.metrics.end_date).toBe('2015-12-31');
    expect(out.inputs.symbols).toEqual(['MSFT', 'KO']);
    expect(out.inputs.config.commission.bps).toBe(5);
    expect(new Set(out.trades.map((trade: { symbol: string }) => trade.symbol))).toEqual(
      new Set(['MSFT', 'KO']),
    );
  });

  it.each([
    [
      ['--strategy', 'sma_crosss', '--symbols', 'AAPL'],
      'unknown strategy "sma_crosss"; valid strategies: sma_cross',
    ],
    [
      ['--strategy', 'sma_cross', '--symbols', 'AAPL', '--params', 'fast=50,slow=20'],
      'fast (50) must be less than slow (20)',
    ],
    [
      ['--strategy', 'sma_cross', '--symbols', 'AAPL', '--params', 'speed=3'],
      'unknown parameter "speed" for sma_cross',
    ],
    [
      [
        '--strategy',
        'sma_cross',
        '--symbols',
        'AAPL',
        '--from',
        '2020-01-01',
        '--to',
        '2019-01-01',
      ],
      '--from 2020-01-01 is after --to 2019-01-01',
    ],
    [
      ['--strategy', 'sma_cross', '--symbols', 'AAPL', '--from', '2030-01-01'],
      'no prices for AAPL between 2030-01-01 and the end; its data spans 1999-11-01 to 2021-04-21',
    ],
    [
      ['--strategy', 'sma_cross', '--symbols', 'AAPL', '--cash', '-5'],
      '--cash -5 must be a positive amount',
    ],
    [
      ['--strategy', 'sma_cross', '--symbols', 'AAPL', '--commission-bps', '-1'],
      '--commission-bps -1 is negative',
    ],
    [['--strategy', 'sma_cross', '--symbols', 'ZZZZ'], 'no file for ZZZZ in'],
    [
      ['--strategy', 'sma_cross', '--symbols', 'AAPL', '--sizing', 'half'],
      '--sizing "half" is not valid',
    ],
  ])('refuses %j with exit code 2 and a message naming the value', async (args, message) => {
    const run = await runCli(['backtest', ...args, ...data]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stdout).toBe('');
  });
});

describe('countersign optimize --data', () => {
  it('prints one row per parameter set and symbol, on worker threads, with walk-forward folds', async () => {
    const run = await runCli([
      'optimize',
      '--strategy',
      'sma_cross',
      '--symbols',
      'AAPL,KO',
      '--grid',
      'fast=5:50:5,slow=20:200:20',
      '--walk-forward',
      '3',
      '--workers',
      '2',
      ...data,
      '--json',
    ]);
    expect(withoutNotices(run.stderr)).toBe('');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.rows).toHaveLength(180);
    const row = out.rows.find(
      (r: Record<string, number | string>) => r.symbol === 'AAPL' && r.fast === 10 && r.slow === 60,
    );
    expect(Object.keys(row)).toEqual([
      'symbol',
      'fast',
      'slow',
      'final_equity',
      'sharpe',
      'trade_count',
    ]);
    const single = await runCli([
      'backtest',
      '--strategy',
      'sma_cross',
      '--symbols',
      'AAPL',
      '--params',
      'fast=10,slow=60',
      ...data,
      '--json',
    ]);
    const backtest = JSON.parse(single.stdout);
    expect(row.final_equity).toBe(backtest.final_equity);
    expect(row.sharpe).toBe(backtest.metrics.sharpe);
    expect(row.trade_count).toBe(backtest.metrics.trade_count);
    expect(out.best.map((best: { symbol: string }) => best.symbol)).toEqual(['AAPL', 'KO']);
    expect(out.walk_forward[0].folds).toHaveLength(3);
    expect(out.walk_forward[0].summary.folds).toBe(3);
    expect(out.elapsed_ms).toBeGreaterThan(0);
  }, 60_000);

  it('runs a seeded TPE search repeatably', async () => {
    const args = [
      'optimize',
      '--strategy',
      'rsi_reversion',
      '--symbols',
      'JNJ',
      '--method',
      'tpe',
      '--trials',
      '30',
      '--seed',
      '7',
      '--objective',
      'calmar',
      ...data,
      '--json',
    ];
    const [first, second] = await Promise.all([runCli(args), runCli(args)]);
    expect(first.code).toBe(0);
    const a = JSON.parse(first.stdout);
    const b = JSON.parse(second.stdout);
    expect(a.rows).toHaveLength(30);
    expect(a.rows).toEqual(b.rows);
  }, 60_000);

  it.each([
    [['--grid', 'fast=50:5:5'], 'min 50 is greater than max 5'],
    [['--objective', 'luck'], 'unknown objective "luck"; valid objectives: sharpe'],
    [['--grid', 'speed=1:5:1'], 'unknown parameter "speed" for sma_cross'],
  ])('refuses %j with exit code 2', async (args, message) => {
    const run = await runCli([
      'optimize',
      '--strategy',
      'sma_cross',
      '--symbols',
      'AAPL',
      ...args,
      ...data,
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });
});

describe('countersign backtest and optimize through their tools', () => {
  const backtestArgs = [
    'backtest',
    '--strategy',
    'sma_cross',
    '--symbols',
    'AAPL,KO',
    '--params',
    'fast=10,slow=50',
    '--from',
    '2005-01-01',
    '--sizing',
    'fraction:0.5',
    '--commission-bps',
    '3',
  ];

  it('backtest calls run_backtest once with channel cli, stores the run and prints its id', async () => {
    const before = await toolCalls('run_backtest');
    const run = await runCli([...backtestArgs, ...data, '--json']);
    expect(withoutNotices(run.stderr)).toBe('');
    expect(run.code).toBe(0);
    const calls = (await toolCalls('run_backtest')).slice(before.length);
    expect(calls).toEqual([{ channel: 'cli', actor_id: await localPrincipal(), outcome: 'ok' }]);
    const out = JSON.parse(run.stdout);
    expect(out.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.final_shares).toEqual(expect.objectContaining({ AAPL: expect.any(Number) }));
    const { rows } = await db.pool.query(
      'SELECT symbols, settings, jsonb_array_length(trades) AS trades FROM backtests WHERE id = $1',
      [out.id],
    );
    expect(rows[0]).toMatchObject({
      symbols: ['AAPL', 'KO'],
      settings: { bars_from: 'files', sizing: 'fraction:0.5', commission_bps: 3 },
      trades: out.trades.length,
    });
    const text = await runCli([...backtestArgs, ...data]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Stored as +backtest [0-9a-f-]{36}$/m);
  }, 60_000);

  it('backtest gives the same figures from --data files and from the database', async () => {
    const [files, database] = await Promise.all([
      runCli([...backtestArgs, ...data, '--json']),
      runCli([...backtestArgs, '--json']),
    ]);
    expect(database.code).toBe(0);
    const a = JSON.parse(files.stdout);
    const b = JSON.parse(database.stdout);
    expect(b.final_equity).toBe(a.final_equity);
    expect(b.metrics).toEqual(a.metrics);
    expect(b.fills).toEqual(a.fills);
    expect(b.inputs.data).toEqual(a.inputs.data);
    const { rows } = await db.pool.query(
      "SELECT settings->>'bars_from' AS bars_from FROM backtests WHERE id = $1",
      [b.id],
    );
    expect(rows[0]?.bars_from).toBe('database');
  }, 60_000);

  it('optimize calls optimize_strategy once with channel cli; --data and the database give the same rows', async () => {
    const args = [
      'optimize',
      '--strategy',
      'sma_cross',
      '--symbols',
      'AAPL,KO',
      '--from',
      '2010-01-01',
      '--grid',
      'fast=5:20:5,slow=50:150:50',
      '--objective',
      'sharpe,calmar',
      '--json',
    ];
    const before = await toolCalls('optimize_strategy');
    const files = await runCli([...args, ...data]);
    expect(withoutNotices(files.stderr)).toBe('');
    expect(files.code).toBe(0);
    const calls = (await toolCalls('optimize_strategy')).slice(before.length);
    expect(calls).toEqual([{ channel: 'cli', actor_id: await localPrincipal(), outcome: 'ok' }]);
    const database = await runCli(args);
    expect(database.code).toBe(0);
    const a = JSON.parse(files.stdout);
    const b = JSON.parse(database.stdout);
    expect(a.rows).toHaveLength(24);
    expect(Object.keys(a.rows[0])).toEqual([
      'symbol',
      'fast',
      'slow',
      'final_equity',
      'sharpe',
      'calmar',
      'trade_count',
    ]);
    expect(b.rows).toEqual(a.rows);
    expect(b.front).toEqual(a.front);
    expect(a.front.length).toBeGreaterThan(0);
  }, 60_000);

  it('refusals reach the audit log as bad_input', async () => {
    const before = await toolCalls('run_backtest');
    const run = await runCli([
      'backtest',
      '--strategy',
      'sma_cross',
      '--symbols',
      'AAPL',
      '--params',
      'fast=50,slow=20',
      ...data,
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'countersign backtest: sma_cross: fast (50) must be less than slow (20)',
    );
    const calls = (await toolCalls('run_backtest')).slice(before.length);
    expect(calls).toEqual([
      { channel: 'cli', actor_id: await localPrincipal(), outcome: 'bad_input' },
    ]);
  }, 60_000);
});
