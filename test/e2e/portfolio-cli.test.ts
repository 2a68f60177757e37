/**
 * `countersign optimize-portfolio`, `screen` and `rebalance-plan` as a user runs them: real
 * processes, the bundled sample (45 S&P 500 stocks with sectors), files and the database.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importPaths } from '../../store/market-data/import-paths.js';
import { runCli, withoutNotices } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { SAMPLE_DIR, tempFolder } from '../helpers/fixtures.js';

const data = ['--data', SAMPLE_DIR];
// biome-ignore lint/suspicious/noExplicitAny: the CLI output is checked field by field below
const json = (text: string) => JSON.parse(text) as Record<string, any>;

describe('countersign optimize-portfolio', () => {
  it('prints weights by symbol with expected_return, volatility, sharpe and elapsed_ms', async () => {
    const run = await runCli([
      'optimize-portfolio',
      '--symbols',
      'AAPL,KO,JNJ,XOM,MSFT,JPM',
      '--objective',
      'max_sharpe',
      '--end',
      '2021-04-21',
      '--lookback',
      '756',
      ...data,
      '--json',
    ]);
    expect(withoutNotices(run.stderr)).toBe('');
    expect(run.code).toBe(0);
    const out = json(run.stdout);
    expect(Object.keys(out.weights).sort()).toEqual(['AAPL', 'JNJ', 'JPM', 'KO', 'MSFT', 'XOM']);
    const total = Object.values(out.weights as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(total).toBeCloseTo(1, 9);
    for (const w of Object.values(out.weights as Record<string, number>))
      expect(w).toBeGreaterThanOrEqual(-1e-12);
    expect(out.sharpe).toBeCloseTo(out.expected_return / out.volatility, 9);
    expect(typeof out.elapsed_ms).toBe('number');
    expect(out.estimators).toMatchObject({
      mean: 'historical',
      covariance: 'sample',
      lookback: 756,
      end: '2021-04-21',
    });
  });

  it('caps sectors from constituents.csv and names an infeasible cap', async () => {
    const capped = await runCli([
      'optimize-portfolio',
      '--symbols',
      'AAPL,MSFT,NVDA,KO,PG,XOM',
      '--objective',
      'max_sharpe',
      '--end',
      '2021-04-21',
      '--sector-cap',
      '0.4',
      ...data,
      '--json',
    ]);
    expect(capped.code).toBe(0);
    const w = json(capped.stdout).weights as Record<string, number>;
    // AAPL, MSFT and NVDA are all Information Technology in the sample's constituents.csv.
    expect((w.AAPL ?? 0) + (w.MSFT ?? 0) + (w.NVDA ?? 0)).toBeLessThanOrEqual(0.4 + 1e-9);
    const infeasible = await runCli([
      'optimize-portfolio',
      '--symbols',
      'AAPL,MSFT,NVDA',
      '--objective',
      'min_variance',
      '--end',
      '2021-04-21',
      '--sector-cap',
      '0.3',
      ...data,
    ]);
    expect(infeasible.code).toBe(2);
    expect(infeasible.stderr).toMatch(/countersign optimize-portfolio: .*sector/i);
  });

  it.each([
    [['--symbols', 'AAPL'], /at least two symbols, got 1 \(AAPL\)/],
    [['--symbols', 'AAPL,KO', '--end', '2999-01-01'], /--end 2999-01-01 is in the future/],
    [
      ['--symbols', 'AAPL,KO', '--risk-aversion', '-1'],
      /--risk-aversion -1 is not valid; use a number > 0/,
    ],
    [
      ['--symbols', 'AAPL,KO', '--objective', 'best'],
      /--objective "best" is not valid; use one of min_variance, max_sharpe/,
    ],
    [
      ['--symbols', 'AAPL,KO', '--end', '2001-01-10', '--lookback', '756'],
      /lookback 756 is longer than the data/,
    ],
    [['--symbols', 'AAPL,KO,MSFT', '--max-weight', '0.2'], /0\.2|sum/],
  ])('refuses %j with a message naming the value', async (args, message) => {
    const run = await runCli(['optimize-portfolio', ...args, ...data]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });
});

describe('countersign screen', () => {
  it('ranks the sample with contributions that add up to the score', async () => {
    const run = await runCli(['screen', '--as-of', '2020-12-31', '--top', '5', ...data, '--json']);
    expect(run.code).toBe(0);
    const out = json(run.stdout);
    expect(out.as_of).toBe('2020-12-31');
    expect(out.rows).toHaveLength(5);
    for (const row of out.rows) {
      const sum = Object.values(row.contributions as Record<string, number>).reduce(
        (a, b) => a + b,
        0,
      );
      expect(sum).toBeCloseTo(row.score, 12);
      expect(row.date <= '2020-12-31').toBe(true);
    }
    expect(out.rows.map((r: { rank: number }) => r.rank)).toEqual([1, 2, 3, 4, 5]);
    expect(typeof out.elapsed_ms).toBe('number');
  });

  it('filters by sector and names an unknown factor', async () => {
    const run = await runCli([
      'screen',
      '--as-of',
      '2020-12-31',
      '--sectors',
      'Energy',
      ...data,
      '--json',
    ]);
    expect(run.code).toBe(0);
    for (const row of json(run.stdout).rows) expect(row.sector).toBe('Energy');
    const bad = await runCli(['screen', '--as-of', '2020-12-31', '--weights', 'luck=1', ...data]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--weights: unknown factor "luck"; use momentum_12_1');
  });
});

describe('countersign rebalance-plan', () => {
  it('plans sells before buys at the last close, placing nothing', async () => {
    const run = await runCli([
      'rebalance-plan',
      '--cash',
      '10000',
      '--positions',
      'AAPL=100,KO=50',
      '--targets',
      'AAPL=0.3,KO=0.3,MSFT=0.3',
      '--as-of',
      '2021-04-21',
      ...data,
      '--json',
    ]);
    expect(run.code).toBe(0);
    const out = json(run.stdout);
    expect(
      out.orders.map((o: { side: string; symbol: string }) => `${o.side} ${o.symbol}`),
    ).toEqual(['sell AAPL', 'buy KO', 'buy MSFT']);
    expect(out.price_dates).toEqual({ AAPL: '2021-04-21', KO: '2021-04-21', MSFT: '2021-04-21' });
    expect(out.cash_after).toBeGreaterThanOrEqual(0);
    const text = await runCli([
      'rebalance-plan',
      '--cash',
      '10000',
      '--targets',
      'AAPL=0.5',
      '--as-of',
      '2021-04-21',
      ...data,
    ]);
    expect(text.stdout).toContain('A plan only: nothing was sent.');
  });

  it('takes targets from optimize-portfolio --json output', async () => {
    const folder = await tempFolder();
    try {
      const optimized = await runCli([
        'optimize-portfolio',
        '--symbols',
        'AAPL,KO,JNJ',
        '--objective',
        'min_variance',
        '--end',
        '2021-04-21',
        ...data,
        '--json',
      ]);
      const file = path.join(folder.dir, 'weights.json');
      await writeFile(file, optimized.stdout);
      const run = await runCli([
        'rebalance-plan',
        '--cash',
        '100000',
        '--targets-from',
        file,
        '--as-of',
        '2021-04-21',
        ...data,
        '--json',
      ]);
      expect(run.code).toBe(0);
      const out = json(run.stdout);
      const weights = json(optimized.stdout).weights as Record<string, number>;
      for (const position of out.positions)
        expect(position.weight).toBeCloseTo(weights[position.symbol] ?? 0, 2);
    } finally {
      await folder.cleanup();
    }
  });

  it('names bad targets', async () => {
    const run = await runCli([
      'rebalance-plan',
      '--cash',
      '1000',
      '--targets',
      'AAPL=0.7,KO=0.6',
      ...data,
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/sum to 1\.3/);
  });
});

describe('from the database', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await importPaths(db.pool, [SAMPLE_DIR]);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('screens and optimizes with sectors from the instruments table', async () => {
    const screen = await runCli(
      ['screen', '--as-of', '2020-12-31', '--sectors', 'Energy', '--json'],
      {
        DATABASE_URL: db.url,
      },
    );
    expect(withoutNotices(screen.stderr)).toBe('');
    expect(screen.code).toBe(0);
    const rows = json(screen.stdout).rows as { sector: string }[];
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.sector).toBe('Energy');
    const fromFiles = await runCli([
      'screen',
      '--as-of',
      '2020-12-31',
      '--sectors',
      'Energy',
      ...data,
      '--json',
    ]);
    const strip = (text: string) => {
      const { elapsed_ms: _, ...rest } = json(text);
      return rest;
    };
    expect(strip(screen.stdout)).toEqual(strip(fromFiles.stdout));
    const optimized = await runCli(
      [
        'optimize-portfolio',
        '--symbols',
        'all',
        '--objective',
        'min_variance',
        '--end',
        '2021-04-21',
        '--json',
      ],
      { DATABASE_URL: db.url },
    );
    expect(optimized.code).toBe(0);
    expect(Object.keys(json(optimized.stdout).weights).length).toBeGreaterThan(30);
  });
});
