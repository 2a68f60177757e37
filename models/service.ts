/**
 * The model core as a process serves it: the runtime (onnxruntime in worker threads), the
 * screening model that is live — the `production` one, else the newest `staging` one, and every
 * answer says which, with its out-of-sample figures — loaded from the registry (its file's hash
 * checked) and kept loaded until the registry names another. Scores come from onnxruntime;
 * per-feature contributions from the same trees (models/tree-ensemble.ts). When no model can
 * answer (none trained yet, training, a missing or changed file) the answer says why, and the
 * screen answers without a model score.
 *
 * A server attaches its service to its pool (attachModels), as it does its price cache, so every
 * channel's tool calls find it there (modelsOf) with no extra plumbing.
 */
import type { Logger } from '../config/logger.js';
import type { PriceSeries } from '../core/series/price-series.js';
import type { Pool } from '../store/db/pool.js';
import { type FeatureDrift, featureDrift } from './drift.js';
import { buildPanel, FEATURES, rowsAt } from './features.js';
import { ensembleFromOnnx } from './onnx-export.js';
import {
  listModels,
  loadBytes,
  type ModelRecord,
  type ModelStatus,
  RegistryError,
} from './registry.js';
import type { LoadedModel, ModelRuntime } from './runtime.js';
import { ModelLoadError } from './runtime.js';
import { SCREEN_MODEL, trainScreenModel } from './train-screen.js';
import { contributions, type TreeEnsemble } from './tree-ensemble.js';

/** What every model-backed answer carries: which model, and how good it was out of sample. */
export interface ModelLabel {
  name: string;
  version: number;
  status: ModelStatus;
  trained_from: string | null;
  trained_to: string | null;
  /** Walk-forward figures beside 12-1 momentum on the same months; null when not measured. */
  out_of_sample: {
    months: number;
    from: string | null;
    to: string | null;
    mean_ic: number;
    ic_t_stat: number;
    momentum_mean_ic: number;
    top_decile_excess: number;
    momentum_top_decile_excess: number;
    beats_momentum: boolean;
  } | null;
  provider: string;
}

export type ScreenScores =
  | {
      available: true;
      model: ModelLabel;
      /** Predicted percentile (0 to 1) of the next 21 trading days' return in the universe. */
      scores: Record<string, number>;
      /** Per symbol, per feature; absent for a model file without its trees (a user's own). */
      contributions?: Record<string, Record<string, number>>;
      /** What every contribution is measured from (the score with no feature information). */
      bias?: number;
      /** Symbols with too little history to score (a year of bars is needed). */
      unscored: number;
      /** Raw features per symbol (the forecast and the drift check read them). */
      features: Map<string, Float32Array>;
    }
  | { available: false; reason: string };

/** Drift of a model's features: its training window against the month ends after it. */
export interface DriftReport {
  model: string;
  trained_rows: number;
  recent_rows: number;
  /** Per feature; empty when there are no month ends after the training window. */
  features: FeatureDrift[];
  /** Features beyond the PSI threshold (none while too few newer rows to judge). */
  drifted: string[];
  /** False with under MIN_DRIFT_ROWS newer rows: PSI on a handful of rows is noise. */
  judged: boolean;
  checked_at: string;
}

/** Newer (month, symbol) rows a drift verdict needs. */
export const MIN_DRIFT_ROWS = 100;

/** Per-feature PSI and KS of `model`'s training rows against the rows after its window, in `series`. */
export function driftReport(model: ModelRecord, series: readonly PriceSeries[]): DriftReport {
  const panel = buildPanel(series);
  const from = model.trainFrom ?? '0000-01-01';
  const to = model.trainTo ?? '9999-12-31';
  const trained = panel.filter((row) => row.date >= from && row.date <= to).map((r) => r.features);
  const recent = panel.filter((row) => row.date > to).map((row) => row.features);
  const judged = recent.length >= MIN_DRIFT_ROWS && trained.length > 0;
  const features = (
    recent.length > 0 && trained.length > 0 ? featureDrift(model.features, trained, recent) : []
  ).map((one) => ({ ...one, flagged: judged && one.flagged }));
  return {
    model: `${model.name} v${model.version}`,
    trained_rows: trained.length,
    recent_rows: recent.length,
    features,
    judged,
    drifted: features.filter((one) => one.flagged).map((one) => one.feature),
    checked_at: new Date().toISOString(),
  };
}

/** The model core's line in /health. */
export interface ModelsHealth {
  status: 'ok' | 'degraded' | 'down';
  detail: string;
  provider: string;
  model?: string;
  drifted?: string[];
}

export interface ModelService {
  readonly runtime: ModelRuntime;
  /** The live screening model (production, else newest staging), or undefined. */
  active(): Promise<ModelRecord | undefined>;
  screenScores(series: readonly PriceSeries[], asOf: string): Promise<ScreenScores>;
  label(model: ModelRecord): ModelLabel;
  /** Trains the first screening model in a worker thread when there is none; resolves when done. */
  trainIfNone(loadSeries: () => Promise<PriceSeries[]>): Promise<void>;
  /** 'training' while the first-start training runs, else undefined. */
  training(): string | undefined;
  /** Why the last attempt to serve failed, if it did. */
  lastError(): string | undefined;
  /** Checks the live model's drift on `series` (after an import); remembered for health(). */
  checkDrift(series: readonly PriceSeries[]): Promise<DriftReport | undefined>;
  lastDrift(): DriftReport | undefined;
  health(): Promise<ModelsHealth>;
  close(): Promise<void>;
}

export const label = (model: ModelRecord, provider: string): ModelLabel => {
  const report = model.metrics.walk_forward;
  return {
    name: model.name,
    version: model.version,
    status: model.status,
    trained_from: model.trainFrom,
    trained_to: model.trainTo,
    out_of_sample: report
      ? {
          months: report.test_months,
          from: report.first_test_month,
          to: report.last_test_month,
          mean_ic: report.model.mean_ic,
          ic_t_stat: report.model.ic_t_stat,
          momentum_mean_ic: report.momentum.mean_ic,
          top_decile_excess: report.model.top_decile_excess,
          momentum_top_decile_excess: report.momentum.top_decile_excess,
          beats_momentum: report.beats_momentum,
        }
      : null,
    provider,
  };
};

/** The live model among `models` (one name): production, else the newest staging. */
export function liveModel(models: readonly ModelRecord[]): ModelRecord | undefined {
  return (
    models.find((m) => m.status === 'production') ?? models.find((m) => m.status === 'staging')
  );
}

const round = (value: number, digits = 5) => Number(value.toFixed(digits));

export function createModelService(options: {
  pool: Pool;
  dataDir: string;
  runtime: ModelRuntime;
  logger: Logger;
}): ModelService {
  const { pool, dataDir, runtime, logger } = options;
  let loaded: { id: string; model: LoadedModel; ensemble: TreeEnsemble | undefined } | undefined;
  let loading: Promise<typeof loaded> | undefined;
  let trainingNow: string | undefined;
  let failure: string | undefined;
  let drift: DriftReport | undefined;
  const stopping = new AbortController();

  const active = async () => liveModel(await listModels(pool, SCREEN_MODEL));

  /** The session for `record`, loading it (and releasing the one before) when it changed. */
  const sessionFor = async (record: ModelRecord) => {
    if (loaded?.id === record.id) return loaded;
    if (loading) {
      const done = await loading.catch(() => undefined);
      if (done?.id === record.id) return done;
    }
    loading = (async () => {
      const bytes = await loadBytes(record);
      let ensemble: TreeEnsemble | undefined;
      try {
        ensemble = ensembleFromOnnx(bytes);
      } catch {
        ensemble = undefined;
      }
      const model = await runtime.load(
        `${record.name} v${record.version}`,
        bytes,
        record.features.length,
      );
      const before = loaded;
      loaded = { id: record.id, model, ensemble };
      if (before) await runtime.release(before.model).catch(() => undefined);
      return loaded;
    })();
    try {
      return await loading;
    } finally {
      loading = undefined;
    }
  };

  return {
    runtime,
    active,
    label: (model) => label(model, runtime.provider()),
    async screenScores(series, asOf) {
      const record = await active();
      if (!record) {
        return {
          available: false,
          reason: trainingNow
            ? `the screening model is being trained on the stored prices (${trainingNow}); try again in a minute`
            : 'no screening model has been trained yet (countersign models train)',
        };
      }
      if (record.features.join(',') !== FEATURES.join(',')) {
        return {
          available: false,
          reason: `${record.name} v${record.version} was trained on features (${record.features.join(', ')}) this version does not compute; train a new one (countersign models train)`,
        };
      }
      let session: Awaited<ReturnType<typeof sessionFor>>;
      try {
        session = await sessionFor(record);
        failure = undefined;
      } catch (error) {
        if (!(error instanceof RegistryError || error instanceof ModelLoadError)) throw error;
        failure = error.message;
        logger.warn({ model: `${record.name} v${record.version}` }, error.message);
        return {
          available: false,
          reason: `${error.message}; the screen answers without a model score`,
        };
      }
      const rows = rowsAt(series, asOf);
      const x = new Float32Array(rows.length * FEATURES.length);
      rows.forEach((row, k) => {
        x.set(row.features, k * FEATURES.length);
      });
      const out = await runtime.score((session as NonNullable<typeof session>).model, x);
      const scores: Record<string, number> = {};
      const features = new Map<string, Float32Array>();
      const byFeature: Record<string, Record<string, number>> = {};
      const ensemble = session?.ensemble;
      let bias: number | undefined;
      rows.forEach((row, k) => {
        scores[row.symbol] = round(out[k] as number);
        features.set(row.symbol, row.features);
        if (ensemble) {
          const parts = contributions(ensemble, row.features);
          bias = parts.bias;
          const named: Record<string, number> = {};
          FEATURES.forEach((name, f) => {
            named[name] = round(parts.byFeature[f] as number);
          });
          byFeature[row.symbol] = named;
        }
      });
      return {
        available: true,
        model: label(record, runtime.provider()),
        scores,
        ...(ensemble ? { contributions: byFeature, bias: round(bias ?? ensemble.base) } : {}),
        unscored: series.length - rows.length,
        features,
      };
    },
    async trainIfNone(loadSeries) {
      if (trainingNow) return;
      // Said at once (a screen asked meanwhile hears "being trained"); no model is served then anyway.
      trainingNow = 'starting';
      const started = performance.now();
      try {
        if ((await listModels(pool, SCREEN_MODEL)).some((m) => m.status !== 'retired')) return;
        const series = await loadSeries();
        const saved = await trainScreenModel(pool, dataDir, series, {
          inWorker: true,
          signal: stopping.signal,
          progress: (stage) => {
            trainingNow = stage;
          },
        });
        const report = saved.metrics.walk_forward;
        logger.info(
          {
            model: `${saved.name} v${saved.version}`,
            symbols: series.length,
            seconds: round((performance.now() - started) / 1000, 1),
            oos_ic: report?.model.mean_ic,
            momentum_ic: report?.momentum.mean_ic,
            beats_momentum: report?.beats_momentum,
          },
          'screening model trained on the stored prices (staging; it serves until one is promoted)',
        );
      } catch (error) {
        if (stopping.signal.aborted) return;
        failure = `the first screening model could not be trained: ${(error as Error).message}`;
        logger.warn(failure);
      } finally {
        trainingNow = undefined;
      }
    },
    training: () => trainingNow,
    lastError: () => failure,
    async checkDrift(series) {
      const record = await active();
      if (!record) return undefined;
      const report = driftReport(record, series);
      const before = drift;
      drift = report;
      if (report.drifted.length > 0 && before?.drifted.join() !== report.drifted.join())
        logger.warn(
          { model: report.model, drifted: report.drifted },
          `model drift: ${report.model}'s features ${report.drifted.join(', ')} moved beyond PSI 0.2 since its training window; retrain with countersign models train --retrain`,
        );
      return report;
    },
    lastDrift: () => drift,
    async health() {
      const provider = runtime.provider();
      const fallback = runtime.fallbackReason();
      const on = `on ${provider}${fallback ? ` (CUDA not available: ${fallback})` : ''}`;
      if (trainingNow)
        return {
          status: 'ok',
          provider,
          detail: `training the first screening model (${trainingNow}) ${on}`,
        };
      const record = await active();
      if (!record)
        return {
          status: 'degraded',
          provider,
          detail: `no screening model (countersign models train); ${on}`,
        };
      const name = `${record.name} v${record.version} (${record.status})`;
      if (failure) return { status: 'down', provider, model: name, detail: failure };
      const drifted = drift?.model === `${record.name} v${record.version}` ? drift.drifted : [];
      if (drifted.length > 0)
        return {
          status: 'degraded',
          provider,
          model: name,
          drifted,
          detail: `${name} ${on}: features drifted beyond PSI 0.2 (${drifted.join(', ')}); retrain with countersign models train --retrain`,
        };
      return { status: 'ok', provider, model: name, detail: `${name} ${on}` };
    },
    async close() {
      stopping.abort();
      await loading?.catch(() => undefined);
      await runtime.close();
    },
  };
}

const attached = new WeakMap<Pool, ModelService>();

/** Makes `service` the one every tool call on `pool` uses. */
export function attachModels(pool: Pool, service: ModelService): void {
  attached.set(pool, service);
}

export function modelsOf(pool: Pool): ModelService | undefined {
  return attached.get(pool);
}
