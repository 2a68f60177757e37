/**
 * Trains the screening model: point-in-time features over every month end of `series`, the
 * walk-forward report beside 12-1 momentum (the out-of-sample figures every result is labelled
 * with), then one model on every month whose target is known, exported to ONNX and saved in the
 * registry as `staging`. Progress is reported by stage.
 */
import type { PriceSeries } from '../core/series/price-series.js';
import type { Pool } from '../store/db/pool.js';
import { buildPanel, FEATURES } from './features.js';
import type { BoostingOptions } from './gradient-boosting.js';
import { treeEnsembleToOnnx } from './onnx-export.js';
import { type ModelRecord, saveModel } from './registry.js';
import { trainOn, walkForward } from './walk-forward.js';

export const SCREEN_MODEL = 'screen';
export const SCREEN_BOOSTING: Required<BoostingOptions> = {
  trees: 100,
  depth: 3,
  learningRate: 0.1,
  minLeaf: 20,
  bins: 32,
};

export async function trainScreenModel(
  pool: Pool,
  dataDir: string,
  series: readonly PriceSeries[],
  options: { actor?: string; progress?: (stage: string) => void; boosting?: BoostingOptions } = {},
): Promise<ModelRecord> {
  const boosting = { ...SCREEN_BOOSTING, ...options.boosting };
  options.progress?.('features');
  const panel = buildPanel(series);
  const known = panel.filter((row) => Number.isFinite(row.forward));
  if (known.length < 500)
    throw new RangeError(
      `${known.length} (month, symbol) rows with a year of history and a known forward return; at least 500 are needed (more symbols or a longer history)`,
    );
  options.progress?.('walk-forward');
  const report = walkForward(panel, { trainMonths: 36, refitEvery: 12, boosting });
  options.progress?.('training');
  const model = trainOn(known, boosting);
  const dates = known.map((row) => row.date);
  const trainFrom = dates[0] as string;
  const trainTo = dates[dates.length - 1] as string;
  options.progress?.('saving');
  return saveModel(pool, dataDir, {
    name: SCREEN_MODEL,
    onnx: treeEnsembleToOnnx(model, `countersign screen model, trained ${trainFrom} to ${trainTo}`),
    features: FEATURES,
    trainFrom,
    trainTo,
    params: {
      ...boosting,
      symbols: series.length,
      rows: known.length,
      target: 'forward 21-day return rank within the month',
    },
    metrics: { walk_forward: report },
    ...(options.actor ? { actor: options.actor } : {}),
  });
}
