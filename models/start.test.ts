/**
 * The model core as a server starts it, on a real database: the first screening model is trained
 * in the background on the stored sample (start-up is not held up), /health's line names it and
 * the provider; then an import of shifted prices (three wild months after the sample ends) is
 * heard through PostgreSQL's notification, the drift check flags it in health and publishes
 * model.drifted once.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/env.js';
import { silentLogger } from '../config/logger.js';
import { MemoryBus } from '../store/kv/memory-bus.js';
import { importPaths } from '../store/market-data/import-paths.js';
import { loadSeries } from '../store/market-data/load-series.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database.js';
import { SAMPLE_DIR, tempFolder } from '../test/helpers/fixtures.js';
import { type ModelsRuntime, startModels } from './start.js';

let db: TestDatabase;
let folder: { dir: string; cleanup: () => Promise<void> };
let models: ModelsRuntime;
const bus = new MemoryBus(silentLogger());
const drifted: { model: string; features: string[] }[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  folder = await tempFolder();
  await importPaths(db.pool, [SAMPLE_DIR]);
  await bus.subscribe('model.drifted', (event) => void drifted.push(event));
}, 120_000);
afterAll(async () => {
  await models?.close();
  await folder?.cleanup();
  await db?.drop();
});

/** Three months of daily bars after the sample ends, swinging ±12 % a day on 10× the volume. */
async function wildMonths(symbols: string[]): Promise<string> {
  const dir = path.join(folder.dir, 'wild');
  await mkdir(dir, { recursive: true });
  const series = await loadSeries({ kind: 'files', path: SAMPLE_DIR }, { symbols });
  for (const one of series) {
    const last = one.close.length - 1;
    let price = one.close[last] as number;
    const volume = (one.volume[last] as number) * 10;
    const lines = ['date,open,high,low,close,adj_close,volume,dividend,split'];
    const day = new Date('2021-04-22T00:00:00Z');
    for (let k = 0; k < 66; k++) {
      while (day.getUTCDay() === 0 || day.getUTCDay() === 6) day.setUTCDate(day.getUTCDate() + 1);
      price *= k % 2 === 0 ? 1.12 : 0.88;
      const p = price.toFixed(2);
      lines.push(`${day.toISOString().slice(0, 10)},${p},${p},${p},${p},${p},${volume},0.0,1.0`);
      day.setUTCDate(day.getUTCDate() + 1);
    }
    await writeFile(path.join(dir, `${one.symbol}.csv.gz`), gzipSync(`${lines.join('\n')}\n`));
  }
  return dir;
}

async function until(check: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('the model core at start', () => {
  it('trains the first model in the background, then flags drift after an import of shifted prices', async () => {
    const config = loadConfig({ DATA_DIR: folder.dir, MODEL_PROVIDER: 'cpu' });
    const started = performance.now();
    models = await startModels({
      pool: db.pool,
      config,
      logger: silentLogger(),
      bus,
      settleMs: 200,
    });
    // Start-up is not held up by the training.
    expect(performance.now() - started).toBeLessThan(2_000);
    expect((await models.service.health()).detail).toMatch(/^training the first screening model/);
    await models.trained;
    const health = await models.service.health();
    expect(health).toMatchObject({ status: 'ok', provider: 'cpu', model: 'screen v1 (staging)' });
    expect(health.detail).toBe('screen v1 (staging) on cpu');
    // The check after start compares the sample's last month ends with its training window.
    await until(() => models.service.lastDrift() !== undefined);
    const first = models.service.lastDrift();
    // One month end after the window, 44 rows: too few to call it drift.
    expect(first).toMatchObject({ judged: false, drifted: [] });
    expect(first?.recent_rows).toBeGreaterThan(0);

    const { rows } = await db.pool.query<{ symbol: string }>(
      'SELECT DISTINCT symbol FROM daily_bars ORDER BY symbol',
    );
    await importPaths(db.pool, [await wildMonths(rows.map((row) => row.symbol))]);
    await until(() => (models.service.lastDrift()?.recent_rows ?? 0) > (first?.recent_rows ?? 0));
    const after = models.service.lastDrift();
    expect(after?.judged).toBe(true);
    expect(after?.drifted).toEqual(expect.arrayContaining(['vol_1m', 'volume_ratio']));
    const flagged = await models.service.health();
    expect(flagged.status).toBe('degraded');
    expect(flagged.detail).toMatch(
      /^screen v1 \(staging\) on cpu: features drifted beyond PSI 0\.2 \(.*vol_1m.*\); retrain with countersign models train --retrain$/,
    );
    await until(() => drifted.length > 0);
    expect(drifted.at(-1)).toMatchObject({ model: 'screen v1', features: after?.drifted });
  }, 180_000);
});
