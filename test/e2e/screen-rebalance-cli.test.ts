/**
 * `countersign screen` and `rebalance-plan` run the screen_stocks and plan_rebalance tools
 * through the tool gate with channel cli: each run leaves one audit entry, and the bundled sample
 * gives the same figures from `--data` files and from the database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importPaths } from '../../store/market-data/import-paths.js';
import { runCli, withoutNotices } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { SAMPLE_DIR } from '../helpers/fixtures.js';

let db: TestDatabase;
// biome-ignore lint/suspicious/noExplicitAny: the CLI output is checked field by field below
const json = (text: string) => JSON.parse(text) as Record<string, any>;
const withoutElapsed = (text: string) => {
  const { elapsed_ms: _, ...rest } = json(text);
  return rest;
};

/** Runs the command on the test database. */
const run = (args: string[]) => runCli(args, { DATABASE_URL: db.url });

/** The tool.called entries of `tool` through channel cli so far. */
async function cliCalls(tool: string): Promise<{ outcome: string }[]> {
  const { rows } = await db.pool.query<{ outcome: string }>(
    `SELECT after->>'outcome' AS outcome FROM audit_log
      WHERE action = 'tool.called' AND channel = 'cli' AND entity_kind = 'tool' AND entity_id = $1
      ORDER BY seq`,
    [tool],
  );
  return rows;
}

beforeAll(async () => {
  db = await createTestDatabase();
  await importPaths(db.pool, [SAMPLE_DIR]);
}, 120_000);

afterAll(async () => {
  await db?.drop();
});

describe('countersign screen through screen_stocks', () => {
  it('audits one cli call per run and ranks the same from files as from the database', async () => {
    const args = [
      'screen',
      '--as-of',
      '2020-12-31',
      '--symbols',
      'AAPL,KO,XOM,CVX,COP,MSFT,NVDA',
      '--winsorize',
      '2',
      '--weights',
      'momentum_12_1=1,volatility=0.5',
      '--json',
    ];
    const before = (await cliCalls('screen_stocks')).length;
    const fromDatabase = await run(args);
    expect(withoutNotices(fromDatabase.stderr)).toBe('');
    expect(fromDatabase.code).toBe(0);
    const fromFiles = await run([...args, '--data', SAMPLE_DIR]);
    expect(fromFiles.code).toBe(0);
    const calls = await cliCalls('screen_stocks');
    expect(calls.slice(before)).toEqual([{ outcome: 'ok' }, { outcome: 'ok' }]);

    const out = json(fromDatabase.stdout);
    expect(out.universe).toBe(7);
    expect(out.winsorize).toBe(2);
    expect(out.weights).toMatchObject({ momentum_12_1: 1, volatility: 0.5, rsi: 0 });
    expect(Object.keys(out)).toEqual([
      'as_of',
      'universe',
      'passed',
      'excluded',
      'exclusions',
      'weights',
      'winsorize',
      'factor_stats',
      'rows',
      'model_unavailable',
      'regime',
      'elapsed_ms',
    ]);
    for (const row of out.rows)
      for (const z of Object.values(row.z_scores as Record<string, number>))
        expect(Math.abs(z)).toBeLessThanOrEqual(2);
    expect(withoutElapsed(fromFiles.stdout)).toEqual(withoutElapsed(fromDatabase.stdout));
  }, 120_000);

  it('audits a refused call and exits 2 with the tool’s message', async () => {
    const before = (await cliCalls('screen_stocks')).length;
    const refused = await run(['screen', '--as-of', '2020-12-31', '--symbols', 'NOPE']);
    expect(refused.code).toBe(2);
    expect(withoutNotices(refused.stderr)).toMatch(/^countersign screen: .*NOPE/);
    expect((await cliCalls('screen_stocks')).slice(before)).toEqual([{ outcome: 'bad_input' }]);
  }, 60_000);
});

describe('countersign rebalance-plan through plan_rebalance', () => {
  it('audits one cli call per run and plans the same from files as from the database', async () => {
    const args = [
      'rebalance-plan',
      '--cash',
      '10000',
      '--positions',
      'AAPL=100,KO=50.5',
      '--targets',
      'AAPL=0.3,KO=0.3,MSFT=0.3',
      '--as-of',
      '2021-04-21',
      '--fractional',
      '--max-position',
      '0.25',
      '--commission-bps',
      '5',
      '--commission-min',
      '1',
      '--slippage-bps',
      '10',
    ];
    const before = (await cliCalls('plan_rebalance')).length;
    const fromDatabase = await run([...args, '--json']);
    expect(withoutNotices(fromDatabase.stderr)).toBe('');
    expect(fromDatabase.code).toBe(0);
    const fromFiles = await run([...args, '--data', SAMPLE_DIR, '--json']);
    expect(fromFiles.code).toBe(0);
    const text = await run(args);
    expect(text.code).toBe(0);
    expect((await cliCalls('plan_rebalance')).slice(before)).toEqual([
      { outcome: 'ok' },
      { outcome: 'ok' },
      { outcome: 'ok' },
    ]);

    const out = json(fromDatabase.stdout);
    // The --json shape of the planner: no account, nothing tool-only.
    expect(Object.keys(out)).toEqual([
      'orders',
      'skipped',
      'positions',
      'cash_before',
      'cash_after',
      'cash_weight',
      'equity_before',
      'equity_after',
      'turnover',
      'totals',
      'price_dates',
      'elapsed_ms',
    ]);
    expect(out.cash_before).toBe(10_000);
    expect(out.price_dates).toEqual({ AAPL: '2021-04-21', KO: '2021-04-21', MSFT: '2021-04-21' });
    for (const order of out.orders) {
      expect(order.target_weight).toBeCloseTo(0.25, 12);
      expect(order.estimated_slippage).toBeGreaterThan(0);
    }
    expect(out.totals.costs).toBeGreaterThan(0);
    expect(withoutElapsed(fromFiles.stdout)).toEqual(withoutElapsed(fromDatabase.stdout));
    expect(text.stdout).toContain(`Estimated costs  ${out.totals.costs.toFixed(2)}`);
    expect(text.stdout).toContain('A plan only: nothing was sent.');
  }, 120_000);
});
