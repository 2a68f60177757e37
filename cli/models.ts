/**
 * `countersign models train | list | promote | retire`: the screening model's registry from the
 * terminal. `train` fits on the database's prices (or `--data DIR`'s files), reports the
 * walk-forward figures beside 12-1 momentum and saves the model as staging; `promote` refuses a
 * model that did not beat momentum out of sample. Every change is in the audit log.
 */
import { readdirSync } from 'node:fs';
import { loadConfig } from '../config/env.js';
import type { BoostingOptions } from '../models/gradient-boosting.js';
import {
  findModel,
  listModels,
  type ModelRecord,
  promoteModel,
  RegistryError,
  retireModel,
} from '../models/registry.js';
import { driftReport, liveModel, MIN_DRIFT_ROWS } from '../models/service.js';
import { SCREEN_MODEL, trainScreenModel } from '../models/train-screen.js';
import { loadSeries } from '../store/market-data/load-series.js';
import { reportFailure } from './errors.js';
import { UsageError } from './run-options.js';
import { withCliDatabase } from './with-database.js';

const modelJson = (model: ModelRecord) => ({
  id: model.id,
  name: model.name,
  version: model.version,
  status: model.status,
  created_at: model.createdAt.toISOString(),
  train_from: model.trainFrom,
  train_to: model.trainTo,
  features: model.features,
  path: model.path,
  sha256: model.onnxSha256,
  promoted_by: model.promotedBy,
  promoted_at: model.promotedAt?.toISOString() ?? null,
  walk_forward: model.metrics.walk_forward ?? null,
});

function summary(model: ModelRecord): string {
  const report = model.metrics.walk_forward;
  const oos = report
    ? `out of sample ${report.first_test_month} to ${report.last_test_month} (${report.test_months} months): mean rank IC ${report.model.mean_ic} (t ${report.model.ic_t_stat}) vs 12-1 momentum ${report.momentum.mean_ic} (t ${report.momentum.ic_t_stat}); top decile ${(report.model.top_decile_excess * 100).toFixed(2)} % a month over the universe vs ${(report.momentum.top_decile_excess * 100).toFixed(2)} %; ${report.beats_momentum ? 'beats momentum' : 'does NOT beat momentum'}`
    : 'no out-of-sample figures';
  return `${model.name} v${model.version} (${model.status}), trained ${model.trainFrom ?? '?'} to ${model.trainTo ?? '?'}: ${oos}`;
}

async function run(what: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (
      error instanceof UsageError ||
      error instanceof RegistryError ||
      error instanceof RangeError
    ) {
      console.error(`countersign models ${what}: ${error.message}`);
      process.exitCode = 2;
      return;
    }
    process.exitCode = reportFailure(error);
  }
}

/** The live model's boosting hyper-parameters (for --retrain). */
function boostingOf(model: ModelRecord): BoostingOptions {
  const p = model.params;
  const pick = (key: keyof BoostingOptions) =>
    typeof p[key] === 'number' ? { [key]: p[key] as number } : {};
  return {
    ...pick('trees'),
    ...pick('depth'),
    ...pick('learningRate'),
    ...pick('minLeaf'),
    ...pick('bins'),
  };
}

export function modelsTrainCommand(options: { data?: string; json?: boolean; retrain?: boolean }) {
  return run('train', () =>
    withCliDatabase('countersign-models', async (pool) => {
      const config = loadConfig();
      let symbols: string[];
      if (options.data) {
        symbols = readdirSync(options.data)
          .filter((file) => /^[A-Z0-9.-]+\.csv(\.gz)?$/.test(file))
          .map((file) => file.replace(/\.csv(\.gz)?$/, ''));
        if (symbols.length === 0)
          throw new UsageError(`--data ${options.data} holds no SYMBOL.csv or SYMBOL.csv.gz files`);
      } else
        symbols = (
          await pool.query<{ symbol: string }>(
            'SELECT DISTINCT symbol FROM daily_bars ORDER BY symbol',
          )
        ).rows.map((row) => row.symbol);
      const series = await loadSeries(
        options.data ? { kind: 'files', path: options.data } : { kind: 'database', pool },
        { symbols },
      );
      let boosting: BoostingOptions | undefined;
      if (options.retrain) {
        const live = liveModel(await listModels(pool, SCREEN_MODEL));
        if (!live)
          throw new UsageError(
            'no live screening model to retrain; run countersign models train without --retrain',
          );
        boosting = boostingOf(live);
        process.stderr.write(
          `countersign models train: retraining ${live.name} v${live.version} (${live.status}) with its hyper-parameters on the prices up to today\n`,
        );
      }
      const started = performance.now();
      const saved = await trainScreenModel(pool, config.dataDir, series, {
        ...(boosting ? { boosting } : {}),
        actor: 'cli',
        progress: (stage) => process.stderr.write(`countersign models train: ${stage}…\n`),
      });
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      if (options.json)
        console.log(JSON.stringify({ ...modelJson(saved), seconds: Number(seconds) }));
      else
        console.log(
          `${summary(saved)}.\nSaved in ${seconds} s as ${saved.path} (staging). ${saved.metrics.walk_forward?.beats_momentum ? `Promote it with: countersign models promote ${SCREEN_MODEL} --model-version ${saved.version}` : 'It may not be promoted: only a model that beats momentum out of sample can be.'}`,
        );
    }),
  );
}

export function modelsListCommand(options: { json?: boolean }) {
  return run('list', () =>
    withCliDatabase('countersign-models', async (pool) => {
      const models = await listModels(pool);
      if (options.json) console.log(JSON.stringify({ models: models.map(modelJson) }));
      else if (models.length === 0)
        console.log('No models yet. Train one with `countersign models train`.');
      else for (const model of models) console.log(summary(model));
    }),
  );
}

const versionOf = (value: string | undefined): number | 'latest' => {
  if (value === undefined) return 'latest';
  if (!/^\d{1,6}$/.test(value) || Number(value) < 1)
    throw new UsageError(`--model-version must be a positive whole number; got ${value}`);
  return Number(value);
};

export function modelsPromoteCommand(
  name: string,
  options: { modelVersion?: string; as?: string },
) {
  return run('promote', () =>
    withCliDatabase('countersign-models', async (pool) => {
      const model = await findModel(pool, name, versionOf(options.modelVersion));
      const promoted = await promoteModel(pool, model, options.as ?? 'local');
      console.log(`${summary(promoted)}. Promoted by ${promoted.promotedBy}.`);
    }),
  );
}

export function modelsRetireCommand(name: string, options: { modelVersion?: string; as?: string }) {
  return run('retire', () =>
    withCliDatabase('countersign-models', async (pool) => {
      const model = await findModel(pool, name, versionOf(options.modelVersion));
      const retired = await retireModel(pool, model, options.as ?? 'local');
      console.log(`${retired.name} v${retired.version} is retired.`);
    }),
  );
}

/** Per-feature drift (PSI, KS) of the model's training rows against the rows after its window. */
export function modelsDriftCommand(
  name: string | undefined,
  options: { modelVersion?: string; json?: boolean },
) {
  return run('drift', () =>
    withCliDatabase('countersign-models', async (pool) => {
      const model = await findModel(pool, name ?? SCREEN_MODEL, versionOf(options.modelVersion));
      const symbols = (
        await pool.query<{ symbol: string }>(
          'SELECT DISTINCT symbol FROM daily_bars ORDER BY symbol',
        )
      ).rows.map((row) => row.symbol);
      const report = driftReport(model, await loadSeries({ kind: 'database', pool }, { symbols }));
      const from = model.trainFrom ?? '0000-01-01';
      const to = model.trainTo ?? '9999-12-31';
      if (report.recent_rows === 0) {
        const message = `${model.name} v${model.version}: no month ends after its training window (to ${to}) in the database; import newer prices, then run this again`;
        if (options.json)
          console.log(
            JSON.stringify({ model: `${model.name} v${model.version}`, recent_rows: 0, message }),
          );
        else console.log(message);
        return;
      }
      if (options.json) {
        console.log(
          JSON.stringify({
            model: report.model,
            trained_rows: report.trained_rows,
            recent_rows: report.recent_rows,
            features: report.features,
            drifted: report.drifted,
            judged: report.judged,
          }),
        );
        return;
      }
      console.log(
        `${report.model}: ${report.trained_rows} training rows (${from} to ${to}) against ${report.recent_rows} newer rows${report.judged ? '' : ` (too few to judge drift: at least ${MIN_DRIFT_ROWS} are needed; shown for information)`}`,
      );
      for (const one of report.features)
        console.log(
          `  ${one.feature.padEnd(14)} PSI ${one.psi.toFixed(3)}  KS ${one.ks.toFixed(3)} (p ${one.ks_p_value})${one.flagged ? '  DRIFTED: retrain with countersign models train --retrain' : ''}`,
        );
    }),
  );
}
