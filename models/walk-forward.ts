/**
 * Walk-forward validation of the learned score against plain 12-1 momentum, on the same months:
 * a model is trained on a rolling window of past months (each row's target, its forward return's
 * rank within its month, known by the test month) and refitted every `refitEvery` months; each
 * later month is out of sample. Per month: the rank information coefficient (Spearman, score vs
 * forward return) and the top decile's forward return minus the universe's; then their means,
 * the IC's t-statistic, and the same by year, for the model and for momentum.
 */

import { byDate, FEATURES, type PanelRow } from './features.js';
import { type BoostingOptions, trainBoosting } from './gradient-boosting.js';
import { scoreRows, type TreeEnsemble } from './tree-ensemble.js';

const MOMENTUM = FEATURES.indexOf('mom_12_1');

export interface ScoreFigures {
  mean_ic: number;
  ic_t_stat: number;
  /** Mean monthly forward return of the top decile minus the universe mean. */
  top_decile_excess: number;
}

export interface WalkForwardReport {
  test_months: number;
  first_test_month: string | null;
  last_test_month: string | null;
  model: ScoreFigures;
  momentum: ScoreFigures;
  by_year: {
    year: string;
    months: number;
    model_ic: number;
    momentum_ic: number;
    model_top_decile: number;
    momentum_top_decile: number;
  }[];
  /** Out of sample, the model's mean IC and top-decile excess both above momentum's. */
  beats_momentum: boolean;
  /**
   * Out of sample, the pooled least-squares slope of a row's forward 21-day return over its
   * month's mean against its score over the month's mean score: what one unit of score has been
   * worth in return (the model forecast optimize_portfolio can use). Absent in older reports.
   */
  oos_slope?: number;
}

/** Average ranks (1-based), ties sharing their mean rank. */
export function ranks(values: ArrayLike<number>): Float64Array {
  const order = Array.from({ length: values.length }, (_, k) => k).sort(
    (a, b) => (values[a] as number) - (values[b] as number),
  );
  const out = new Float64Array(values.length);
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (
      end + 1 < order.length &&
      values[order[end + 1] as number] === values[order[start] as number]
    )
      end++;
    const rank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) out[order[k] as number] = rank;
    start = end + 1;
  }
  return out;
}

/** Spearman's rank correlation; NaN for fewer than 3 points or no spread. */
export function rankIc(score: ArrayLike<number>, outcome: ArrayLike<number>): number {
  const n = score.length;
  if (n < 3) return Number.NaN;
  const a = ranks(score);
  const b = ranks(outcome);
  const mean = (n + 1) / 2;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let k = 0; k < n; k++) {
    const x = (a[k] as number) - mean;
    const y = (b[k] as number) - mean;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return aa === 0 || bb === 0 ? Number.NaN : ab / Math.sqrt(aa * bb);
}

function topDecileExcess(score: ArrayLike<number>, outcome: ArrayLike<number>): number {
  const n = score.length;
  const order = Array.from({ length: n }, (_, k) => k).sort(
    (a, b) => (score[b] as number) - (score[a] as number),
  );
  const top = Math.max(1, Math.floor(n / 10));
  let topSum = 0;
  let all = 0;
  for (let k = 0; k < n; k++) {
    all += outcome[k] as number;
    if (k < top) topSum += outcome[order[k] as number] as number;
  }
  return topSum / top - all / n;
}

function figures(ics: number[], tops: number[]): ScoreFigures {
  const valid = ics.filter(Number.isFinite);
  const n = valid.length;
  const mean = n ? valid.reduce((a, b) => a + b, 0) / n : Number.NaN;
  const sd =
    n > 1 ? Math.sqrt(valid.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : Number.NaN;
  const round = (value: number, digits = 4) =>
    Number.isFinite(value) ? Number(value.toFixed(digits)) : Number.NaN;
  return {
    mean_ic: round(mean),
    ic_t_stat: round(sd > 0 ? mean / (sd / Math.sqrt(n)) : Number.NaN, 2),
    top_decile_excess: round(
      tops.length ? tops.reduce((a, b) => a + b, 0) / tops.length : Number.NaN,
      5,
    ),
  };
}

/** Each row's target: its forward return's percentile rank within its month (0 to 1). */
function targets(rows: readonly PanelRow[]): Float64Array {
  const out = new Float64Array(rows.length);
  const months = new Map<string, number[]>();
  rows.forEach((row, k) => {
    const list = months.get(row.date) ?? [];
    list.push(k);
    months.set(row.date, list);
  });
  for (const members of months.values()) {
    const r = ranks(members.map((k) => (rows[k] as PanelRow).forward));
    members.forEach((k, j) => {
      out[k] = members.length > 1 ? ((r[j] as number) - 1) / (members.length - 1) : 0.5;
    });
  }
  return out;
}

/** Trains one model on `rows` (all with known forward returns). */
export function trainOn(rows: readonly PanelRow[], options: BoostingOptions = {}): TreeEnsemble {
  const x = new Float32Array(rows.length * FEATURES.length);
  rows.forEach((row, k) => {
    x.set(row.features, k * FEATURES.length);
  });
  return trainBoosting(x, targets(rows), FEATURES.length, options);
}

export function walkForward(
  panel: readonly PanelRow[],
  options: { trainMonths?: number; refitEvery?: number; boosting?: BoostingOptions } = {},
): WalkForwardReport {
  const trainMonths = options.trainMonths ?? 36;
  const refitEvery = options.refitEvery ?? 12;
  const months = [...byDate(panel.filter((row) => Number.isFinite(row.forward))).entries()];
  const ics = { model: [] as number[], momentum: [] as number[] };
  const tops = { model: [] as number[], momentum: [] as number[] };
  const years = new Map<
    string,
    { model: number[]; momentum: number[]; modelTop: number[]; momentumTop: number[] }
  >();
  let model: TreeEnsemble | undefined;
  let tested = 0;
  let first: string | null = null;
  let last: string | null = null;
  let sxy = 0;
  let sxx = 0;
  for (let m = trainMonths; m < months.length; m++) {
    const [date, rows] = months[m] as [string, PanelRow[]];
    if (rows.length < 10) continue;
    if (!model || (m - trainMonths) % refitEvery === 0)
      // The window's last month's targets end by this month's date: known when it is scored.
      model = trainOn(
        months.slice(m - trainMonths, m).flatMap(([, r]) => r),
        options.boosting,
      );
    const x = new Float32Array(rows.length * FEATURES.length);
    rows.forEach((row, k) => {
      x.set(row.features, k * FEATURES.length);
    });
    const score = scoreRows(model, x);
    const momentum = rows.map((row) => row.features[MOMENTUM] as number);
    const outcome = rows.map((row) => row.forward);
    const meanScore = score.reduce((a, b) => a + b, 0) / score.length;
    const meanOutcome = outcome.reduce((a, b) => a + b, 0) / outcome.length;
    outcome.forEach((value, k) => {
      const ds = (score[k] as number) - meanScore;
      sxy += ds * (value - meanOutcome);
      sxx += ds * ds;
    });
    const icModel = rankIc(score, outcome);
    const icMomentum = rankIc(momentum, outcome);
    const topModel = topDecileExcess(score, outcome);
    const topMomentum = topDecileExcess(momentum, outcome);
    ics.model.push(icModel);
    ics.momentum.push(icMomentum);
    tops.model.push(topModel);
    tops.momentum.push(topMomentum);
    const year = date.slice(0, 4);
    const slot = years.get(year) ?? { model: [], momentum: [], modelTop: [], momentumTop: [] };
    slot.model.push(icModel);
    slot.momentum.push(icMomentum);
    slot.modelTop.push(topModel);
    slot.momentumTop.push(topMomentum);
    years.set(year, slot);
    tested++;
    first ??= date;
    last = date;
  }
  const report = {
    model: figures(ics.model, tops.model),
    momentum: figures(ics.momentum, tops.momentum),
  };
  const mean = (values: number[]) => {
    const valid = values.filter(Number.isFinite);
    return valid.length
      ? Number((valid.reduce((a, b) => a + b, 0) / valid.length).toFixed(4))
      : Number.NaN;
  };
  return {
    test_months: tested,
    first_test_month: first,
    last_test_month: last,
    ...report,
    by_year: [...years.entries()].map(([year, slot]) => ({
      year,
      months: slot.model.length,
      model_ic: mean(slot.model),
      momentum_ic: mean(slot.momentum),
      model_top_decile: mean(slot.modelTop),
      momentum_top_decile: mean(slot.momentumTop),
    })),
    beats_momentum:
      tested > 0 &&
      report.model.mean_ic > report.momentum.mean_ic &&
      report.model.top_decile_excess > report.momentum.top_decile_excess,
    oos_slope: sxx > 0 ? Number((sxy / sxx).toPrecision(4)) : 0,
  };
}
