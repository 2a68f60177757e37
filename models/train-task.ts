/**
 * Fitting the screening model, with no I/O: point-in-time features over every month end of
 * `series`, the walk-forward report beside 12-1 momentum (the out-of-sample figures every result
 * is labelled with), then one model on every month whose target is known, as ONNX bytes. Runs on
 * the caller's thread (the CLI) or in a worker thread (train-worker.mjs: the server's first start).
 */
import type { PriceSeries } from '../core/series/price-series.js';
import { buildPanel } from './features.js';
import type { BoostingOptions } from './gradient-boosting.js';
import { treeEnsembleToOnnx } from './onnx-export.js';
import { trainOn, type WalkForwardReport, walkForward } from './walk-forward.js';

export const SCREEN_BOOSTING: Required<BoostingOptions> = {
  trees: 100,
  depth: 3,
  learningRate: 0.1,
  minLeaf: 20,
  bins: 32,
};

export interface FittedScreenModel {
  onnx: Uint8Array;
  trainFrom: string;
  trainTo: string;
  params: Record<string, unknown>;
  report: WalkForwardReport;
}

export function fitScreenModel(
  series: readonly PriceSeries[],
  options: { boosting?: BoostingOptions; progress?: (stage: string) => void } = {},
): FittedScreenModel {
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
  const trainFrom = (known[0] as (typeof known)[number]).date;
  const trainTo = (known[known.length - 1] as (typeof known)[number]).date;
  return {
    onnx: treeEnsembleToOnnx(model, `countersign screen model, trained ${trainFrom} to ${trainTo}`),
    trainFrom,
    trainTo,
    params: {
      ...boosting,
      symbols: series.length,
      rows: known.length,
      target: 'forward 21-day return percentile within the month (0 to 1)',
    },
    report,
  };
}
