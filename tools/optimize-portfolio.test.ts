/**
 * optimize_portfolio's inputs for the CLI (symbols "all", span, max_holdings, current_weights with
 * max_turnover, frontier_points, bootstrap_samples/seed, skip_incomplete, detail full) and its
 * --data files source, through the tool gate against a real database holding the sample.
 */
import { copyFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { estimate } from '../core/portfolio/estimators/estimate.js';
import { buildReturns } from '../core/portfolio/estimators/returns.js';
import { optimizePortfolio } from '../core/portfolio/optimize/index.js';
import { importPaths } from '../store/market-data/import-paths.js';
import { loadSeries } from '../store/market-data/load-series.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database.js';
import { SAMPLE_DIR, sampleLines, tempFolder, writeCsv } from '../test/helpers/fixtures.js';
import { createToolContext } from './context.js';
import { invokeTool } from './invoke.js';
import { optimizePortfolioTool } from './optimize-portfolio.js';

let db: TestDatabase;
let local: string;
/** The sample plus YOUNG.csv (AAPL's last 400 lines): a symbol without a full 756-return window. */
let young: { dir: string; cleanup: () => Promise<void> };

// biome-ignore lint/suspicious/noExplicitAny: outputs are checked field by field below
type Output = Record<string, any>;

const FIVE = ['AAPL', 'KO', 'JNJ', 'XOM', 'MSFT'];
const END = '2021-04-21';

/** One call through invokeTool as the 'local' principal; bars from `files` when given. */
async function optimize(args: Record<string, unknown>, files?: string) {
  return invokeTool(
    optimizePortfolioTool,
    args,
    createToolContext({
      principal: { id: local, handle: 'local', scopes: ['read'] },
      pool: db.pool,
      orders: {} as never,
      channel: 'mcp',
      ...(files === undefined ? {} : { seriesFiles: files }),
    }),
  );
}

async function ok(args: Record<string, unknown>, files?: string): Promise<Output> {
  const result = await optimize(args, files);
  if (!result.ok) throw new Error(`${result.code}: ${result.message}`);
  return result.output;
}

async function refused(args: Record<string, unknown>, files?: string) {
  const result = await optimize(args, files);
  if (result.ok) throw new Error(`expected a refusal, got ${JSON.stringify(result.output)}`);
  return result;
}

const weightOf = (out: Output) =>
  Object.fromEntries(
    (out.weights as { symbol: string; weight: number }[]).map((w) => [w.symbol, w.weight]),
  );

beforeAll(async () => {
  db = await createTestDatabase();
  await importPaths(db.pool, [SAMPLE_DIR]);
  const { rows } = await db.pool.query<{ id: string }>(
    "SELECT id FROM principals WHERE handle = 'local'",
  );
  local = rows[0]?.id as string;
  young = await tempFolder();
  for (const name of await readdir(SAMPLE_DIR))
    await copyFile(path.join(SAMPLE_DIR, name), path.join(young.dir, name));
  const lines = await sampleLines('AAPL');
  await writeCsv(young.dir, 'YOUNG.csv', [lines[0] as string, ...lines.slice(-400)]);
}, 120_000);

afterAll(async () => {
  await young?.cleanup();
  await db?.drop();
});

describe('optimize_portfolio defaults', () => {
  it('answers as before without the new inputs: the same fields and the core pipeline figures', async () => {
    const out = await ok({ symbols: FIVE, end: END });
    expect(Object.keys(out)).toEqual([
      'objective',
      'weights',
      'expected_return',
      'volatility',
      'sharpe',
      'start',
      'end',
      'lookback',
      'mean_estimator',
      'expected_returns',
      'covariance_estimator',
      'shrinkage',
      'returns',
      'notes',
    ]);
    const series = await loadSeries({ kind: 'database', pool: db.pool }, { symbols: FIVE });
    const { returns } = buildReturns(series, { end: END, lookback: 756 });
    const result = optimizePortfolio({ estimate: estimate(returns), objective: 'max_sharpe' });
    expect(weightOf(out)).toEqual(result.weights);
    expect(out.expected_return).toBe(result.expectedReturn);
    expect(out.volatility).toBe(result.volatility);
    expect(out.sharpe).toBe(result.sharpe);
    expect(out.end).toBe(END);
  });

  it('detail full adds risk contributions, the solver and the computation time', async () => {
    const out = await ok({ symbols: FIVE, end: END, objective: 'min_variance', detail: 'full' });
    const shares = out.risk_contributions as { symbol: string; share: number }[];
    expect(shares.map((r) => r.symbol)).toEqual(FIVE);
    expect(shares.reduce((a, r) => a + r.share, 0)).toBeCloseTo(1, 9);
    expect(out.solver.method).toMatch(/active-set/);
    expect(out.solver.iterations).toBeGreaterThan(0);
    expect(out.elapsed_ms).toBeGreaterThan(0);
    const summary = await ok({ symbols: FIVE, end: END, objective: 'min_variance' });
    expect(weightOf(summary)).toEqual(weightOf(out));
    expect(summary).not.toHaveProperty('risk_contributions');
  });
});

describe('optimize_portfolio inputs', () => {
  it('span sets the EWMA span: 180 is the default, 20 weighs recent days, 0 is refused', async () => {
    const base = { symbols: FIVE, end: END, objective: 'min_variance', mean_estimator: 'ewma' };
    const byDefault = await ok(base);
    expect(await ok({ ...base, span: 180 })).toEqual(byDefault);
    const short = await ok({ ...base, span: 20 });
    expect(short.expected_return).not.toBeCloseTo(byDefault.expected_return, 6);
    const zero = await refused({ ...base, span: 0 });
    expect(zero.code).toBe('bad_input');
    expect(zero.message).toContain('EWMA span 0 is not valid');
  });

  it('max_holdings keeps at most that many weights and says it is a heuristic', async () => {
    const out = await ok({ symbols: FIVE, end: END, objective: 'min_variance', max_holdings: 2 });
    const held = Object.values(weightOf(out)).filter((w) => Math.abs(w) > 1e-12);
    expect(held.length).toBeLessThanOrEqual(2);
    expect((out.notes as string[]).join(' ')).toMatch(/heuristic/);
    expect((await refused({ symbols: FIVE, max_holdings: 1.5 })).message).toContain(
      'max holdings must be a whole number',
    );
  });

  it('current_weights with max_turnover bounds Σ|w − current|; a symbol twice is refused', async () => {
    const current = { aapl: 0.5, KO: 0.5 };
    const out = await ok({
      symbols: FIVE,
      end: END,
      current_weights: current,
      max_turnover: 0.3,
    });
    const w = weightOf(out);
    const turnover = FIVE.reduce(
      (sum, s) => sum + Math.abs((w[s] ?? 0) - ((s === 'AAPL' || s === 'KO' ? 0.5 : 0) as number)),
      0,
    );
    expect(turnover).toBeLessThanOrEqual(0.3 + 1e-9);
    expect((out.notes as string[]).join(' ')).toMatch(/turnover/);
    const free = await ok({ symbols: FIVE, end: END });
    expect(weightOf(free)).not.toEqual(w);
    const twice = await refused({
      symbols: FIVE,
      current_weights: { AAPL: 0.5, aapl: 0.5 },
      max_turnover: 0.3,
    });
    expect(twice.message).toContain('AAPL is listed twice in current_weights');
    expect((await refused({ symbols: FIVE, max_turnover: -1 })).message).toContain(
      'max turnover -1 is negative',
    );
  });

  it('frontier_points returns that many frontier points, lowest return first', async () => {
    const out = await ok({ symbols: FIVE, end: END, frontier_points: 4 });
    const frontier = out.frontier as { expected_return: number; volatility: number }[];
    expect(frontier).toHaveLength(4);
    for (let k = 1; k < frontier.length; k++)
      expect(frontier[k]?.expected_return).toBeGreaterThan(frontier[k - 1]?.expected_return ?? 0);
    expect(await ok({ symbols: FIVE, end: END })).not.toHaveProperty('frontier');
    expect((await refused({ symbols: FIVE, frontier_points: 5000 })).code).toBe('bad_input');
  });

  it('bootstrap_samples gives intervals around the figures, repeatable with bootstrap_seed', async () => {
    const args = { symbols: FIVE, end: END, bootstrap_samples: 100, bootstrap_seed: 7 };
    const out = await ok(args);
    expect(out.bootstrap).toMatchObject({ samples: 100, confidence: 0.95 });
    expect(out.bootstrap.volatility.low).toBeLessThan(out.volatility);
    expect(out.bootstrap.volatility.high).toBeGreaterThan(out.volatility);
    expect((await ok(args)).bootstrap).toEqual(out.bootstrap);
    expect((await ok({ ...args, bootstrap_seed: 8 })).bootstrap).not.toEqual(out.bootstrap);
    expect((await ok({ ...args, bootstrap_seed: undefined })).bootstrap).toEqual(
      (await ok({ ...args, bootstrap_seed: 1 })).bootstrap,
    );
  });

  it('skip_incomplete leaves out a symbol without a full window and lists it in dropped', async () => {
    const symbols = ['AAPL', 'KO', 'YOUNG'];
    const strict = await refused({ symbols, end: END }, young.dir);
    expect(strict.code).toBe('bad_input');
    expect(strict.message).toContain('YOUNG');
    const out = await ok({ symbols, end: END, skip_incomplete: true }, young.dir);
    expect(out.weights.map((w: { symbol: string }) => w.symbol)).toEqual(['AAPL', 'KO']);
    expect(out.dropped).toHaveLength(1);
    expect(out.dropped[0].symbol).toBe('YOUNG');
    expect(out.dropped[0].reason).toMatch(/400 of the 757 prices/);
  });

  it('symbols "all" weighs every stored symbol with a full window, the same from files and the database', async () => {
    const args = { symbols: 'all', end: END, objective: 'min_variance' };
    const fromDb = await ok(args);
    expect(fromDb.weights.length).toBeGreaterThan(30);
    expect(fromDb.dropped).toEqual([]);
    expect(await ok(args, SAMPLE_DIR)).toEqual(fromDb);
    const withYoung = await ok(args, young.dir);
    expect(withYoung.dropped.map((d: { symbol: string }) => d.symbol)).toEqual(['YOUNG']);
    expect(weightOf(withYoung)).toEqual(weightOf(fromDb));
  });

  it('reads --data files like the database, sector caps from constituents.csv', async () => {
    const args = {
      symbols: ['AAPL', 'MSFT', 'NVDA', 'KO', 'PG', 'XOM'],
      end: END,
      sector_cap: 0.4,
      detail: 'full',
      frontier_points: 3,
      bootstrap_samples: 50,
    };
    const { elapsed_ms: _a, ...fromFiles } = await ok(args, SAMPLE_DIR);
    const { elapsed_ms: _b, ...fromDb } = await ok(args);
    expect(fromFiles).toEqual(fromDb);
    const w = weightOf(fromDb);
    expect((w.AAPL ?? 0) + (w.MSFT ?? 0) + (w.NVDA ?? 0)).toBeLessThanOrEqual(0.4 + 1e-9);
  });

  it('refuses a bad file, a missing file and too many symbols as bad input naming them', async () => {
    const folder = await tempFolder();
    try {
      await writeCsv(folder.dir, 'AAPL.csv', ['date,close', '2021-01-04,abc']);
      // Only AAPL.csv is bad (the files are read at once: two bad ones race for the message).
      await writeCsv(folder.dir, 'KO.csv', [
        'date,open,high,low,close,volume',
        '2021-01-04,50,51,49,50,1000',
      ]);
      const bad = await refused({ symbols: ['AAPL', 'KO'] }, folder.dir);
      expect(bad.code).toBe('bad_input');
      expect(bad.message).toContain('AAPL.csv');
      const missing = await refused({ symbols: ['AAPL', 'ZZZZ'] }, SAMPLE_DIR);
      expect(missing.code).toBe('bad_input');
      expect(missing.message).toContain('ZZZZ');
    } finally {
      await folder.cleanup();
    }
    const many = await refused({ symbols: Array.from({ length: 101 }, (_, k) => `S${k}`) });
    expect(many.message).toContain('symbols must be 2 to 100 tickers, or "all"');
    const one = await refused({ symbols: ['AAPL'] });
    expect(one.message).toContain('symbols is too small');
  });
});
