/**
 * The model core on CPU: gradient-boosted ensembles (200 trees of depth 4, 100 of depth 3) trained here on
 * 20,000 synthetic rows × 50 features, exported to ONNX and scored through the worker-thread
 * runtime in batches of 5,000 rows × 50 features; the event loop's delay is measured while it
 * scores (a session's run happens on a worker, so the loop should not stall).
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { PROJECT_ROOT } from '../config/app-info.js';
import { silentLogger } from '../config/logger.js';
import { buildPanel, FEATURES, rowsAt } from '../models/features.js';
import { trainBoosting } from '../models/gradient-boosting.js';
import { ensembleFromOnnx, treeEnsembleToOnnx } from '../models/onnx-export.js';
import { marketRegimes } from '../models/regime.js';
import { createModelRuntime } from '../models/runtime.js';
import { fitScreenModel } from '../models/train-task.js';
import { contributions, type TreeEnsemble } from '../models/tree-ensemble.js';
import { trainOn, walkForward } from '../models/walk-forward.js';
import { loadSeries } from '../store/market-data/load-series.js';
import { SAMPLE_DIR } from '../store/market-data/sample.js';

const ms = (value: number) => Math.round(value * 100) / 100;
const percentile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;

export async function benchModels(emit: (line: object) => void): Promise<void> {
  const features = 50;
  const trainRows = 20_000;
  let seed = 11;
  const random = () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647;
  };
  const x = new Float32Array(trainRows * features).map(() => random() * 2 - 1);
  const y = new Float64Array(trainRows).map(
    (_, r) =>
      Math.sin(3 * (x[r * features] as number)) +
      (x[r * features + 1] as number) * (x[r * features + 2] as number),
  );
  const runtime = createModelRuntime({ logger: silentLogger(), threads: 1 });
  try {
    const provider = await runtime.ready;
    const batch = new Float32Array(5000 * features).map(() => random() * 2 - 1);
    for (const size of [
      { trees: 200, depth: 4 },
      { trees: 100, depth: 3 },
    ]) {
      const started = performance.now();
      const model = trainBoosting(x, y, features, size);
      emit({
        bench: 'models_train_gbt',
        rows: trainRows,
        features,
        ...size,
        seconds: ms((performance.now() - started) / 1000),
      });
      const loaded = await runtime.load(
        `bench-${size.trees}x${size.depth}`,
        treeEnsembleToOnnx(model),
        features,
      );
      for (let k = 0; k < 5; k++) await runtime.score(loaded, batch);
      const loop = monitorEventLoopDelay({ resolution: 1 });
      loop.enable();
      const laps: number[] = [];
      for (let k = 0; k < 100; k++) {
        const lap = performance.now();
        await runtime.score(loaded, batch);
        laps.push(performance.now() - lap);
      }
      loop.disable();
      laps.sort((a, b) => a - b);
      emit({
        bench: 'models_score_batch',
        provider,
        rows: 5000,
        features,
        ...size,
        target_ms: 5,
        n: laps.length,
        p50_ms: ms(percentile(laps, 0.5)),
        p95_ms: ms(percentile(laps, 0.95)),
        event_loop_max_delay_ms: ms(loop.max / 1e6),
        event_loop_target_ms: 10,
      });
      await runtime.release(loaded);
    }
  } finally {
    await runtime.close();
  }
}

/**
 * The learned screening score on real prices (../shared/data/sp500-daily when it is there, else
 * the bundled sample): one training on every month, and the walk-forward out-of-sample report
 * beside 12-1 momentum, by year.
 */
export async function benchModelsValidation(emit: (line: object) => void): Promise<void> {
  const shared = path.resolve(PROJECT_ROOT, '..', 'shared', 'data', 'sp500-daily');
  const dataset = existsSync(shared) ? 'sp500-daily' : 'sample';
  const dir = dataset === 'sp500-daily' ? shared : SAMPLE_DIR;
  const symbols = readdirSync(dir)
    .filter((file) => /^[A-Z.]+\.csv(\.gz)?$/.test(file))
    .map((file) => file.replace(/\.csv(\.gz)?$/, ''));
  const series = await loadSeries({ kind: 'files', path: dir }, { symbols });
  const built = performance.now();
  const panel = buildPanel(series);
  const panelSeconds = (performance.now() - built) / 1000;
  const known = panel.filter((row) => Number.isFinite(row.forward));
  const trained = performance.now();
  trainOn(known, { trees: 100, depth: 3 });
  emit({
    bench: 'models_train_screen',
    dataset,
    symbols: symbols.length,
    rows: known.length,
    features: 9,
    target_s: 120,
    panel_s: ms(panelSeconds),
    train_s: ms((performance.now() - trained) / 1000),
  });
  const started = performance.now();
  const report = walkForward(panel, {
    trainMonths: 36,
    refitEvery: 12,
    boosting: { trees: 100, depth: 3 },
  });
  emit({
    bench: 'models_walk_forward',
    dataset,
    seconds: ms((performance.now() - started) / 1000),
    ...report,
  });
}

/**
 * What a user's first start and each screen cost: the first-start training on the bundled
 * sample (features, walk-forward, the model, its ONNX; the server runs the same in a worker
 * thread), then a screen's model work on the shared 504 stocks — point-in-time features on one
 * date, the ONNX score, per-feature contributions for every symbol — and the market regimes over
 * the whole history (computed once per price change, then kept).
 */
export async function benchModelsServing(emit: (line: object) => void): Promise<void> {
  const sampleSymbols = readdirSync(SAMPLE_DIR)
    .filter((file) => /^[A-Z.]+\.csv(\.gz)?$/.test(file))
    .map((file) => file.replace(/\.csv(\.gz)?$/, ''));
  const sample = await loadSeries({ kind: 'files', path: SAMPLE_DIR }, { symbols: sampleSymbols });
  const started = performance.now();
  const fitted = fitScreenModel(sample);
  emit({
    bench: 'models_first_start_training',
    dataset: 'sample',
    symbols: sample.length,
    target_s: 30,
    seconds: ms((performance.now() - started) / 1000),
    oos_months: fitted.report.test_months,
    beats_momentum: fitted.report.beats_momentum,
  });

  const shared = path.resolve(PROJECT_ROOT, '..', 'shared', 'data', 'sp500-daily');
  const dataset = existsSync(shared) ? 'sp500-daily' : 'sample';
  const series =
    dataset === 'sample'
      ? sample
      : await loadSeries(
          { kind: 'files', path: shared },
          {
            symbols: readdirSync(shared)
              .filter((file) => /^[A-Z.]+\.csv(\.gz)?$/.test(file))
              .map((file) => file.replace(/\.csv(\.gz)?$/, '')),
          },
        );
  const runtime = createModelRuntime({ logger: silentLogger(), provider: 'cpu' });
  try {
    const loaded = await runtime.load('screen', fitted.onnx, FEATURES.length);
    const ensemble = ensembleFromOnnx(fitted.onnx) as TreeEnsemble;
    const laps = { features: [] as number[], score: [] as number[], contributions: [] as number[] };
    for (let k = 0; k < 25; k++) {
      let t = performance.now();
      const rows = rowsAt(series, '2020-12-31');
      laps.features.push(performance.now() - t);
      const x = new Float32Array(rows.length * FEATURES.length);
      rows.forEach((row, j) => {
        x.set(row.features, j * FEATURES.length);
      });
      t = performance.now();
      await runtime.score(loaded, x);
      laps.score.push(performance.now() - t);
      t = performance.now();
      for (const row of rows) contributions(ensemble, row.features);
      laps.contributions.push(performance.now() - t);
    }
    const p = (values: number[], q: number) =>
      ms(
        percentile(
          [...values].sort((a, b) => a - b),
          q,
        ),
      );
    emit({
      bench: 'models_screen_scoring',
      dataset,
      symbols: series.length,
      n: 25,
      features_p50_ms: p(laps.features, 0.5),
      onnx_score_p50_ms: p(laps.score, 0.5),
      contributions_p50_ms: p(laps.contributions, 0.5),
      total_p95_ms: p(
        laps.features.map(
          (f, k) => f + (laps.score[k] as number) + (laps.contributions[k] as number),
        ),
        0.95,
      ),
    });
  } finally {
    await runtime.close();
  }
  const regimeLaps: number[] = [];
  let counts: Record<string, number> = {};
  for (let k = 0; k < 5; k++) {
    const t = performance.now();
    const regimes = marketRegimes([...series]);
    regimeLaps.push(performance.now() - t);
    counts = {};
    for (const day of regimes.days) if (day) counts[day.regime] = (counts[day.regime] ?? 0) + 1;
  }
  emit({
    bench: 'models_regimes',
    dataset,
    symbols: series.length,
    days: Object.values(counts).reduce((a, b) => a + b, 0),
    by_regime: counts,
    p50_ms: ms(
      percentile(
        [...regimeLaps].sort((a, b) => a - b),
        0.5,
      ),
    ),
  });
}
