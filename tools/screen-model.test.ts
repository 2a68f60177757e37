/**
 * The model core as the server runs it, on a real database with the bundled sample: the first
 * start trains a model in a worker thread and screen_stocks then carries model_score with
 * per-feature contributions, labelled with the model's version, status and out-of-sample
 * figures; a changed or missing model file leaves the screen answering without a model score,
 * saying why.
 */
import { rename, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../config/logger.js';
import type { PriceSeries } from '../core/series/price-series.js';
import { buildPanel, rowsAt } from '../models/features.js';
import { marketRegimes } from '../models/regime.js';
import { listModels } from '../models/registry.js';
import { createModelRuntime } from '../models/runtime.js';
import { attachModels, createModelService, type ModelService } from '../models/service.js';
import { importPaths } from '../store/market-data/import-paths.js';
import { loadUniverse } from '../store/market-data/universe.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database.js';
import { SAMPLE_DIR, tempFolder } from '../test/helpers/fixtures.js';
import { createToolContext } from './context.js';
import { invokeTool } from './invoke.js';
import { modelStatus } from './model-status.js';
import { screenStocksTool } from './screen-stocks.js';
import { screenOf } from './trade-provenance.js';

let db: TestDatabase;
let folder: { dir: string; cleanup: () => Promise<void> };
let service: ModelService;
let local: string;
let series: PriceSeries[];

// biome-ignore lint/suspicious/noExplicitAny: outputs are checked field by field below
type Output = Record<string, any>;

async function screen(args: Record<string, unknown>, tool = screenStocksTool): Promise<Output> {
  const result = await invokeTool(
    tool as typeof screenStocksTool,
    args,
    createToolContext({
      principal: { id: local, handle: 'local', scopes: ['read'] },
      pool: db.pool,
      orders: {} as never,
      channel: 'mcp',
    }),
  );
  if (!result.ok) throw new Error(`${result.code}: ${result.message}`);
  return result.output;
}

beforeAll(async () => {
  db = await createTestDatabase();
  folder = await tempFolder();
  await importPaths(db.pool, [SAMPLE_DIR]);
  const { rows } = await db.pool.query<{ id: string }>(
    "SELECT id FROM principals WHERE handle = 'local'",
  );
  local = rows[0]?.id as string;
  series = (await loadUniverse({ kind: 'database', pool: db.pool }, { symbols: 'all' })).series;
  service = createModelService({
    pool: db.pool,
    dataDir: folder.dir,
    runtime: createModelRuntime({ logger: silentLogger(), provider: 'cpu' }),
    logger: silentLogger(),
  });
  attachModels(db.pool, service);
}, 120_000);
afterAll(async () => {
  await service?.close();
  await folder?.cleanup();
  await db?.drop();
});

describe('the model service', () => {
  it('features at a date are the panel features at that month end', () => {
    const panel = buildPanel(series).filter((row) => row.date === '2015-06-30');
    const at = new Map(rowsAt(series, '2015-06-30').map((row) => [row.symbol, row.features]));
    expect(panel.length).toBeGreaterThan(30);
    for (const row of panel) expect(at.get(row.symbol)).toEqual(row.features);
  });

  it('says no model is there yet, and the screen answers without one', async () => {
    const out = await screen({ as_of: '2020-12-31', top: 3 });
    expect(out.model_unavailable).toMatch(/no screening model has been trained yet/);
    expect(out.rows.map((row: Output) => row.model_score)).toEqual([null, null, null]);
  });

  it('trains the first model in a worker thread, then model_score is served with contributions and a label', async () => {
    const training = service.trainIfNone(async () => series);
    expect(service.training()).toBeDefined();
    const during = await screen({ as_of: '2020-12-31', top: 1 });
    expect(during.model_unavailable).toMatch(/being trained/);
    await training;
    expect(service.training()).toBeUndefined();
    const [model] = await listModels(db.pool, 'screen');
    expect(model).toMatchObject({ version: 1, status: 'staging' });
    // A second start finds it and trains nothing.
    await service.trainIfNone(async () => series);
    expect(await listModels(db.pool, 'screen')).toHaveLength(1);

    const out = await screen({ as_of: '2020-12-31', top: 44 });
    expect(out.model).toMatchObject({
      name: 'screen',
      version: 1,
      status: 'staging',
      provider: 'cpu',
      out_of_sample: { beats_momentum: model?.metrics.walk_forward?.beats_momentum },
    });
    expect(out.model.out_of_sample.months).toBeGreaterThan(100);
    const scored = out.rows.filter((row: Output) => row.model_score !== null);
    expect(scored.length).toBe(44);
    for (const row of scored) {
      expect(row.model_score).toBeGreaterThan(-0.5);
      expect(row.model_score).toBeLessThan(1.5);
      const sum = Object.values(row.model_contributions as Record<string, number>).reduce(
        (a, b) => a + b,
        out.model.bias as number,
      );
      expect(Math.abs(sum - row.model_score)).toBeLessThan(1e-3);
      expect(Object.keys(row.model_contributions)).toContain('mom_12_1');
    }
    // model_status says the same: which model is live and how good it was.
    const status = await screen({}, modelStatus as never);
    expect(status.live).toEqual({ ...out.model, bias: undefined, provider: 'cpu' });
    expect(status.versions).toHaveLength(1);
    expect(status.versions[0]).toMatchObject({ version: 1, status: 'staging', promoted_by: null });
    // Not blended unless asked: the price-factor score is unchanged by the model's presence.
    expect(scored.every((row: Output) => (row.contributions.model_score ?? 0) === 0)).toBe(true);
    const blended = await screen({ as_of: '2020-12-31', top: 1, weights: { model_score: 1 } });
    const best = Math.max(...scored.map((row: Output) => row.model_score));
    expect(blended.rows[0].model_score).toBe(best);
  });

  it('says the market regime on as_of, and screens only in the regimes asked for', async () => {
    const out = await screen({ as_of: '2020-03-31', top: 3 });
    expect(out.regime).toMatchObject({ date: '2020-03-31', regime: 'volatile-down' });
    expect(out.regime.volatility_21d).toBeGreaterThan(out.regime.volatility_median);
    const refused = await screen({ as_of: '2020-03-31', top: 3, regimes: ['calm-up'] });
    expect(refused.rows).toEqual([]);
    expect(refused.note).toBe(
      'the market regime on 2020-03-31 is volatile-down, not one of calm-up: nothing is screened',
    );
    expect(refused.universe).toBe(44);
    const kept = await screen({
      as_of: '2020-03-31',
      top: 3,
      regimes: ['volatile-down', 'calm-down'],
    });
    expect(kept.rows).toHaveLength(3);
    // Before 63 days of prices there is no label.
    const early = await screen({ as_of: '1999-12-31', top: 3, symbols: ['AAPL', 'KO'] });
    expect(early.regime).toBeNull();
  });

  it("explain_trade's re-run screen carries the model's score and contributions for the symbol", async () => {
    const context = createToolContext({
      principal: { id: local, handle: 'local', scopes: ['read'] },
      pool: db.pool,
      orders: {} as never,
      channel: 'mcp',
    });
    const { found } = await screenOf(context, 'KO', { screen: { as_of: '2015-06-30' } } as never);
    expect(found?.model_score).toBeTypeOf('number');
    expect(Object.keys(found?.model_contributions ?? {})).toHaveLength(9);
    expect(found?.model).toMatch(
      /^screen v1 \(staging\), trained \d{4}-\d\d-\d\d to 2021-\d\d-\d\d: trained past the screen date, so it has seen what followed$/,
    );
  });

  it('optimize_portfolio forecasts with the model when asked, and says how', async () => {
    const { optimizePortfolioTool } = await import('./optimize-portfolio.js');
    const symbols = ['AAPL', 'KO', 'XOM', 'JPM', 'MSFT', 'PG', 'JNJ', 'CAT', 'AMZN', 'BA'];
    const args = { symbols, objective: 'max_sharpe', end: '2020-12-31', lookback: 504 };
    const plain = await screen(args, optimizePortfolioTool as never);
    expect(plain.expected_returns).toBe('the historical estimator');
    const modelled = await screen(
      { ...args, expected_returns: 'model' },
      optimizePortfolioTool as never,
    );
    expect(modelled.expected_returns).toMatch(
      /^screen v1 \(staging\): μ = -?\d\.\d{4} \(the estimator's cross-sectional mean\) \+ 12 × -?[\d.e-]+ \(out-of-sample return per unit of score, a month\) × \(score − its mean\), scores as of 2020-12-31$/,
    );
    const [model] = await listModels(db.pool, 'screen');
    const slope = model?.metrics.walk_forward?.oos_slope ?? 0;
    if (slope > 0) expect(modelled.weights).not.toEqual(plain.weights);
    else expect(modelled.notes[0]).toMatch(/no positive return per unit of score out of sample/);
    const total = modelled.weights.reduce((a: number, w: Output) => a + w.weight, 0);
    expect(total).toBeCloseTo(1, 6);
  });

  it('backtests sma_cross only in calm-up regimes: every entry signalled on a calm-up day', async () => {
    const { runBacktestTool } = await import('./run-backtest.js');
    const args = { strategy: 'sma_cross', symbols: ['KO'], params: { fast: 10, slow: 50 } };
    const every = await screen(args, runBacktestTool as never);
    const gated = await screen({ ...args, regimes: ['calm-up'] }, runBacktestTool as never);
    expect(gated.regimes.allowed).toEqual(['calm-up']);
    expect(gated.regimes.days_allowed).toBeGreaterThan(100);
    expect(gated.regimes.days_allowed).toBeLessThan(gated.bars);
    expect(gated.trade_count).toBeLessThan(every.trade_count);
    expect(gated.trade_count).toBeGreaterThan(0);
    const regimes = marketRegimes(series);
    const index = new Map(regimes.dates.map((date, k) => [date, k]));
    const ko = series.find((one) => one.symbol === 'KO') as PriceSeries;
    for (const trade of gated.trades) {
      // Signalled on the close before the entry's fill (fills at the next open).
      const entry = ko.dates.indexOf(trade.entry_date);
      const signalDay = ko.dates[entry - 1] as string;
      expect(regimes.days[index.get(signalDay) as number]?.regime).toBe('calm-up');
    }
  });

  it('a changed model file: the screen answers without a model score and says why; restored, it serves again', async () => {
    const [model] = await listModels(db.pool, 'screen');
    const file = model?.path as string;
    // A new service, so nothing is loaded yet (as after a restart).
    const fresh = createModelService({
      pool: db.pool,
      dataDir: folder.dir,
      runtime: createModelRuntime({ logger: silentLogger(), provider: 'cpu' }),
      logger: silentLogger(),
    });
    attachModels(db.pool, fresh);
    try {
      await rename(file, `${file}.kept`);
      const missing = await screen({ as_of: '2020-12-31', top: 2 });
      expect(missing.model_unavailable).toMatch(/screen v1: cannot read .* \(ENOENT\)/);
      expect(missing.model_unavailable).toMatch(/the screen answers without a model score/);
      expect(missing.rows).toHaveLength(2);
      await writeFile(file, Buffer.from('not the model it was'));
      const changed = await screen({ as_of: '2020-12-31', top: 2 });
      expect(changed.model_unavailable).toMatch(/does not match the SHA-256 it was saved with/);
      expect(fresh.lastError()).toMatch(/SHA-256/);
      await rename(`${file}.kept`, file);
      const back = await screen({ as_of: '2020-12-31', top: 2 });
      expect(back.model.version).toBe(1);
      expect(fresh.lastError()).toBeUndefined();
    } finally {
      await fresh.close();
      attachModels(db.pool, service);
    }
  });
});
