/**
 * `countersign optimize-portfolio` runs the optimize_portfolio tool through the tool gate with
 * channel cli: each run leaves one audit entry, the --json shape and the text stay as they were,
 * and the bundled sample gives the same figures from `--data` files and from the database.
 */
import { copyFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importPaths } from '../../store/market-data/import-paths.js';
import { runCli, withoutNotices } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { SAMPLE_DIR, sampleLines, tempFolder, writeCsv } from '../helpers/fixtures.js';

let db: TestDatabase;
// biome-ignore lint/suspicious/noExplicitAny: the CLI output is checked field by field below
const json = (text: string) => JSON.parse(text) as Record<string, any>;
const withoutElapsed = (text: string) => {
  const { elapsed_ms: _, ...rest } = json(text);
  return rest;
};

/** Runs the command on the test database. */
const run = (args: string[]) => runCli(['optimize-portfolio', ...args], { DATABASE_URL: db.url });

/** The tool.called entries of optimize_portfolio through channel cli so far. */
async function cliCalls(): Promise<{ outcome: string }[]> {
  const { rows } = await db.pool.query<{ outcome: string }>(
    `SELECT after->>'outcome' AS outcome FROM audit_log
      WHERE action = 'tool.called' AND channel = 'cli' AND entity_kind = 'tool'
        AND entity_id = 'optimize_portfolio'
      ORDER BY seq`,
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

describe('countersign optimize-portfolio through optimize_portfolio', () => {
  it('audits one cli call per run and gives the same --json from files as from the database', async () => {
    const args = [
      '--symbols',
      'AAPL,MSFT,NVDA,KO,PG,XOM,JNJ',
      '--objective',
      'max_sharpe',
      '--end',
      '2021-04-21',
      '--lookback',
      '500',
      '--covariance',
      'ewma',
      '--span',
      '90',
      '--risk-free',
      '0.01',
      '--sector-cap',
      '0.4',
      '--current',
      'AAPL=0.5,KO=0.5',
      '--max-turnover',
      '0.8',
      '--frontier',
      '3',
      '--bootstrap',
      '50',
      '--seed',
      '3',
      '--json',
    ];
    const before = (await cliCalls()).length;
    const fromDatabase = await run(args);
    expect(withoutNotices(fromDatabase.stderr)).toBe('');
    expect(fromDatabase.code).toBe(0);
    const fromFiles = await run([...args, '--data', SAMPLE_DIR]);
    expect(fromFiles.code).toBe(0);
    expect((await cliCalls()).slice(before)).toEqual([{ outcome: 'ok' }, { outcome: 'ok' }]);

    const out = json(fromDatabase.stdout);
    expect(Object.keys(out)).toEqual([
      'objective',
      'expected_return',
      'volatility',
      'sharpe',
      'frontier',
      'bootstrap',
      'solver',
      'notes',
      'weights',
      'risk_contributions',
      'assets',
      'window',
      'estimators',
      'dropped',
      'elapsed_ms',
    ]);
    expect(Object.keys(out.weights)).toEqual(['AAPL', 'MSFT', 'NVDA', 'KO', 'PG', 'XOM', 'JNJ']);
    expect(Object.keys(out.risk_contributions)).toEqual(Object.keys(out.weights));
    expect(out.frontier).toHaveLength(3);
    expect(out.bootstrap).toMatchObject({ samples: 50, confidence: 0.95 });
    expect(out.solver.method).toEqual(expect.any(String));
    expect(out.assets).toBe(7);
    expect(out.window).toBe('500 daily returns, 2019-04-29 to 2021-04-21');
    expect(out.estimators).toEqual({
      mean: 'historical',
      covariance: 'ewma',
      shrinkage: null,
      lookback: 500,
      start: '2019-04-29',
      end: '2021-04-21',
    });
    expect(out.dropped).toEqual([]);
    expect(out.elapsed_ms).toBeGreaterThan(0);
    const w = out.weights as Record<string, number>;
    expect((w.AAPL ?? 0) + (w.MSFT ?? 0) + (w.NVDA ?? 0)).toBeLessThanOrEqual(0.4 + 1e-9);
    const turnover = Object.entries(w).reduce(
      (sum, [s, x]) => sum + Math.abs(x - (s === 'AAPL' || s === 'KO' ? 0.5 : 0)),
      0,
    );
    expect(turnover).toBeLessThanOrEqual(0.8 + 1e-9);
    expect(withoutElapsed(fromFiles.stdout)).toEqual(withoutElapsed(fromDatabase.stdout));
  }, 120_000);

  it('prints the text summary and lists symbols left out, from files', async () => {
    const folder = await tempFolder();
    try {
      for (const name of await readdir(SAMPLE_DIR))
        await copyFile(path.join(SAMPLE_DIR, name), path.join(folder.dir, name));
      const lines = await sampleLines('AAPL');
      await writeCsv(folder.dir, 'YOUNG.csv', [lines[0] as string, ...lines.slice(-400)]);
      const before = (await cliCalls()).length;
      const text = await run([
        '--symbols',
        'AAPL,KO,JNJ,YOUNG',
        '--objective',
        'min_variance',
        '--end',
        '2021-04-21',
        '--max-holdings',
        '2',
        '--skip-incomplete',
        '--data',
        folder.dir,
      ]);
      expect(text.code).toBe(0);
      expect(withoutNotices(text.stderr)).toBe(
        'Left out 1 symbol(s) without complete prices: YOUNG\n',
      );
      expect(text.stdout).toMatch(
        /^Objective {8}min_variance\nExpected return {2}\d+\.\d\d % a year\nVolatility {7}\d+\.\d\d % a year\nSharpe {11}\d+\.\d\d\nAssets {11}2 held of 3 \(756 daily returns, 2018-04-20 to 2021-04-21\)\nComputed in {6}\d+\.\d ms\n\nWeights:\n[A-Z]+ +\d+\.\d\d % {2}risk \d+\.\d\d %\n[A-Z]+ +\d+\.\d\d % {2}risk \d+\.\d\d %\n\nNote: max_holdings is a heuristic/,
      );
      expect((await cliCalls()).slice(before)).toEqual([{ outcome: 'ok' }]);
    } finally {
      await folder.cleanup();
    }
  }, 60_000);

  it('audits a refused call and exits 2 with the tool’s message; a bad flag calls nothing', async () => {
    const before = (await cliCalls()).length;
    const refused = await run([
      '--symbols',
      'AAPL,MSFT,NVDA',
      '--objective',
      'min_variance',
      '--end',
      '2021-04-21',
      '--sector-cap',
      '0.3',
    ]);
    expect(refused.code).toBe(2);
    expect(withoutNotices(refused.stderr)).toMatch(/^countersign optimize-portfolio: sector caps/);
    expect(refused.stdout).toBe('');
    const bad = await run(['--symbols', 'AAPL,KO', '--bootstrap', '5']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      '--bootstrap 5 is not valid; use a whole number from 10 to 100000',
    );
    const one = await run(['--symbols', 'AAPL']);
    expect(one.code).toBe(2);
    expect(one.stderr).toContain('a portfolio needs at least two symbols, got 1 (AAPL)');
    expect((await cliCalls()).slice(before)).toEqual([{ outcome: 'bad_input' }]);
  }, 60_000);
});
