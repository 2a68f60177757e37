/** screen_stocks' inputs for the CLI (symbols, winsorize, detail full) and its --data files source, through the tool gate. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importPaths } from '../store/market-data/import-paths.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database.js';
import { SAMPLE_DIR } from '../test/helpers/fixtures.js';
import { createToolContext } from './context.js';
import { invokeTool } from './invoke.js';
import { screenStocksTool } from './screen-stocks.js';

let db: TestDatabase;
let local: string;

// biome-ignore lint/suspicious/noExplicitAny: outputs are checked field by field below
type Output = Record<string, any>;

/** One call through invokeTool as the 'local' principal; bars from `files` when given. */
async function screen(args: Record<string, unknown>, files?: string) {
  return invokeTool(
    screenStocksTool,
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
  const result = await screen(args, files);
  if (!result.ok) throw new Error(`${result.code}: ${result.message}`);
  return result.output;
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

describe('screen_stocks inputs', () => {
  it('keeps the summary answer as it was when no new input is given (plus the model columns)', async () => {
    const out = await ok({ as_of: '2020-12-31', top: 3 });
    expect(Object.keys(out)).toEqual([
      'as_of',
      'universe',
      'passed',
      'excluded',
      'weights',
      'rows',
      'model_unavailable',
      'regime',
    ]);
    expect(out.model_unavailable).toBe('this process runs no model core');
    expect(out.rows[0].model_score).toBeNull();
    expect(Object.keys(out.rows[0])).toEqual([
      'rank',
      'symbol',
      'sector',
      'date',
      'price',
      'dollar_volume',
      'score',
      'contributions',
      'missing',
      'model_score',
    ]);
  });

  it('screens only the symbols given (any case) and names an unknown one', async () => {
    const out = await ok({ as_of: '2020-12-31', symbols: ['aapl', 'KO', 'XOM'] });
    expect(out.universe).toBe(3);
    expect(out.rows.map((row: { symbol: string }) => row.symbol).sort()).toEqual([
      'AAPL',
      'KO',
      'XOM',
    ]);
    const unknown = await screen({ as_of: '2020-12-31', symbols: ['AAPL', 'NOPE'] });
    expect(unknown).toMatchObject({ ok: false, code: 'bad_input' });
    expect(!unknown.ok && unknown.message).toContain('NOPE');
    const path = await screen({ as_of: '2020-12-31', symbols: ['../AAPL'] }, SAMPLE_DIR);
    expect(path).toMatchObject({ ok: false, code: 'bad_input' });
    expect(!path.ok && path.message).toContain('"../AAPL" is not a ticker');
  });

  it('clips z-scores at winsorize, and refuses a clip ≤ 0 in the screen’s words', async () => {
    const out = await ok({ as_of: '2020-12-31', winsorize: 0.5, detail: 'full', top: 44 });
    expect(out.winsorize).toBe(0.5);
    const all = out.rows.flatMap((row: { z_scores: Record<string, number> }) =>
      Object.values(row.z_scores),
    );
    expect(Math.max(...all.map(Math.abs))).toBeCloseTo(0.5, 12);
    const refused = await screen({ as_of: '2020-12-31', winsorize: 0 });
    expect(refused).toMatchObject({
      ok: false,
      code: 'bad_input',
      message: 'winsorize must be a finite number > 0, got 0',
    });
  });

  it('detail full adds exclusions, factor stats, raw factors, z-scores and elapsed_ms', async () => {
    const out = await ok({ as_of: '2020-12-31', min_price: 200, detail: 'full' });
    expect(out.exclusions.length).toBe(out.excluded.min_price);
    for (const one of out.exclusions) {
      expect(one.reason).toBe('min_price');
      expect(one.detail).toContain('below minPrice 200');
    }
    expect(out.factor_stats.momentum_12_1.count).toBe(out.passed);
    for (const row of out.rows) {
      for (const [factor, part] of Object.entries(row.contributions as Record<string, number>))
        expect(part).toBeCloseTo(out.weights[factor] * (row.z_scores[factor] ?? 0), 12);
      expect(Object.keys(row.factors).sort()).toEqual(Object.keys(row.z_scores).sort());
    }
    expect(typeof out.elapsed_ms).toBe('number');
  });
});

describe('screen_stocks over --data files', () => {
  it('gives the database’s answer from the sample files, sectors from constituents.csv', async () => {
    const args = { as_of: '2020-12-31', sectors: ['Energy'], detail: 'full' };
    const { elapsed_ms: _a, ...fromFiles } = await ok(args, SAMPLE_DIR);
    const { elapsed_ms: _b, ...fromDatabase } = await ok(args);
    expect(fromFiles.rows.length).toBeGreaterThan(0);
    for (const row of fromFiles.rows) expect(row.sector).toBe('Energy');
    expect(fromFiles).toEqual(fromDatabase);
  });

  it('defaults as_of to the last bar in the files', async () => {
    const files = await ok({ top: 1 }, SAMPLE_DIR);
    const database = await ok({ top: 1 });
    expect(files.as_of).toBe(database.as_of);
  });

  it('names a --data path that is not there', async () => {
    const result = await screen({ as_of: '2020-12-31' }, '/nonexistent/bars');
    expect(result).toMatchObject({ ok: false, code: 'bad_input' });
    expect(!result.ok && result.message).toContain('/nonexistent/bars');
  });
});
