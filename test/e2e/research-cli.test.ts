/** `countersign backtest` and `optimize` as a user runs them: real processes, sample CSV files, exit codes. */
import { describe, expect, it } from 'vitest';
import { runCli, withoutNotices } from '../helpers/cli.js';
import { SAMPLE_DIR } from '../helpers/fixtures.js';

const data = ['--data', SAMPLE_DIR];

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
