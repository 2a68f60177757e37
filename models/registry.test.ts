/**
 * The registry on a real database: training on the bundled sample saves a staging model with
 * its ONNX file and out-of-sample figures; promotion is refused unless it beat momentum; one
 * production model per name; every change audited; a changed file is refused by its hash.
 */
import { readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../config/logger.js';
import type { PriceSeries } from '../core/series/price-series.js';
import { loadSeries } from '../store/market-data/load-series.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database.js';
import { SAMPLE_DIR, tempFolder } from '../test/helpers/fixtures.js';
import { FEATURES } from './features.js';
import {
  findModel,
  listModels,
  loadBytes,
  promoteModel,
  RegistryError,
  retireModel,
  saveModel,
} from './registry.js';
import { createModelRuntime } from './runtime.js';
import { trainScreenModel } from './train-screen.js';

let db: TestDatabase;
let folder: { dir: string; cleanup: () => Promise<void> };
let series: PriceSeries[];

beforeAll(async () => {
  db = await createTestDatabase();
  folder = await tempFolder();
  const symbols = readdirSync(SAMPLE_DIR)
    .filter((file) => /^[A-Z.]+\.csv(\.gz)?$/.test(file))
    .map((file) => file.replace(/\.csv(\.gz)?$/, ''));
  series = await loadSeries({ kind: 'files', path: SAMPLE_DIR }, { symbols });
});
afterAll(async () => {
  await folder?.cleanup();
  await db?.drop();
});

const audits = async (action: string) =>
  Number(
    (await db.pool.query('SELECT count(*) AS n FROM audit_log WHERE action = $1', [action])).rows[0]
      .n,
  );

describe('model registry', () => {
  it('trains on the sample and saves a staging model with its file, hash and out-of-sample figures', async () => {
    const stages: string[] = [];
    const saved = await trainScreenModel(db.pool, folder.dir, series, {
      progress: (stage) => void stages.push(stage),
      boosting: { trees: 30 },
    });
    expect(stages).toEqual(['features', 'walk-forward', 'training', 'saving']);
    expect(saved).toMatchObject({
      name: 'screen',
      version: 1,
      status: 'staging',
      features: [...FEATURES],
    });
    expect(saved.path).toBe(`${folder.dir}/models/screen-v1.onnx`);
    expect(saved.metrics.walk_forward?.test_months).toBeGreaterThan(100);
    expect(await audits('model.trained')).toBe(1);
    // The saved file serves through the runtime.
    const runtime = createModelRuntime({ logger: silentLogger(), provider: 'cpu' });
    try {
      const loaded = await runtime.load('screen v1', await loadBytes(saved), FEATURES.length);
      const scores = await runtime.score(loaded, new Float32Array(FEATURES.length * 3));
      expect(scores).toHaveLength(3);
    } finally {
      await runtime.close();
    }
  });

  it('promotes only a model that beat momentum, keeps one in production, and audits each change', async () => {
    const fake = (beats: boolean) => ({
      walk_forward: {
        test_months: 12,
        first_test_month: '2020-01-31',
        last_test_month: '2020-12-31',
        model: { mean_ic: beats ? 0.05 : 0.01, ic_t_stat: 2, top_decile_excess: beats ? 0.01 : 0 },
        momentum: { mean_ic: 0.02, ic_t_stat: 1, top_decile_excess: 0.005 },
        by_year: [],
        beats_momentum: beats,
      },
    });
    const onnx = new Uint8Array([1, 2, 3]);
    const loser = await saveModel(db.pool, folder.dir, {
      name: 'trial',
      onnx,
      features: ['a'],
      metrics: fake(false),
    });
    await expect(promoteModel(db.pool, loser, 'alice')).rejects.toThrow(
      /did not beat 12-1 momentum out of sample \(mean IC 0\.01 vs 0\.02/,
    );
    const first = await promoteModel(
      db.pool,
      await saveModel(db.pool, folder.dir, {
        name: 'trial',
        onnx,
        features: ['a'],
        metrics: fake(true),
      }),
      'alice',
    );
    expect(first).toMatchObject({ version: 2, status: 'production', promotedBy: 'alice' });
    const second = await promoteModel(
      db.pool,
      await saveModel(db.pool, folder.dir, {
        name: 'trial',
        onnx,
        features: ['a'],
        metrics: fake(true),
      }),
      'bob',
    );
    expect(second.status).toBe('production');
    expect((await findModel(db.pool, 'trial', 2)).status).toBe('retired');
    expect((await findModel(db.pool, 'trial', 'production')).version).toBe(3);
    await retireModel(db.pool, second, 'bob');
    await expect(findModel(db.pool, 'trial', 'production')).rejects.toThrow(
      /no production model trial; there are: v3 \(retired\), v2 \(retired\), v1 \(staging\)/,
    );
    expect(await audits('model.promoted')).toBe(2);
    expect(await audits('model.retired')).toBe(1);
    expect((await listModels(db.pool, 'trial')).map((m) => m.version)).toEqual([3, 2, 1]);
  });

  it('refuses a model file that changed since it was saved', async () => {
    const model = await findModel(db.pool, 'screen', 'latest');
    await writeFile(model.path, Buffer.from('tampered'));
    await expect(loadBytes(model)).rejects.toThrow(RegistryError);
    await expect(loadBytes(model)).rejects.toThrow(/does not match the SHA-256 it was saved with/);
  });
});
