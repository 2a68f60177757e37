/**
 * Point-in-time features (no look-ahead: a changed future bar leaves every earlier row's
 * features as they were) and the walk-forward report on the bundled sample.
 */
import { readdirSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PriceSeries } from '../core/series/price-series.js';
import { loadSeries } from '../store/market-data/load-series.js';
import { SAMPLE_DIR } from '../test/helpers/fixtures.js';
import { buildPanel, FEATURES, HORIZON } from './features.js';
import { rankIc, ranks, walkForward } from './walk-forward.js';

let series: PriceSeries[];
beforeAll(async () => {
  const symbols = readdirSync(SAMPLE_DIR)
    .filter((file) => /^[A-Z.]+\.csv(\.gz)?$/.test(file))
    .map((file) => file.replace(/\.csv(\.gz)?$/, ''));
  series = await loadSeries({ kind: 'files', path: SAMPLE_DIR }, { symbols });
});

describe('features', () => {
  it('use no bar after their date: a changed future bar leaves every earlier row as it was', () => {
    const before = buildPanel(series);
    const aapl = series.find((one) => one.symbol === 'AAPL') as PriceSeries;
    const at = aapl.dates.indexOf('2015-06-15');
    expect(at).toBeGreaterThan(0);
    const changed: PriceSeries = {
      ...aapl,
      adjClose: Float64Array.from(aapl.adjClose),
      volume: Float64Array.from(aapl.volume),
    };
    for (let k = at; k < changed.adjClose.length; k++) {
      changed.adjClose[k] = (changed.adjClose[k] as number) * 3;
      changed.volume[k] = (changed.volume[k] as number) * 5;
    }
    const after = buildPanel(series.map((one) => (one.symbol === 'AAPL' ? changed : one)));
    const key = (row: { date: string; symbol: string }) => `${row.date} ${row.symbol}`;
    const later = new Map(after.map((row) => [key(row), row]));
    let compared = 0;
    for (const row of before) {
      if (row.date >= '2015-06-15') continue;
      expect(Array.from(later.get(key(row))?.features ?? []), key(row)).toEqual(
        Array.from(row.features),
      );
      compared++;
    }
    expect(compared).toBeGreaterThan(1000);
    // The forward return does see the change, as it should: its window is the future.
    const may = after.find((row) => row.symbol === 'AAPL' && row.date === '2015-05-29');
    const mayBefore = before.find((row) => row.symbol === 'AAPL' && row.date === '2015-05-29');
    expect(may?.forward).not.toBe(mayBefore?.forward);
  });

  it('give every row the same features, finite, and no target before its window has passed', () => {
    const panel = buildPanel(series);
    for (const row of panel) {
      expect(row.features).toHaveLength(FEATURES.length);
      expect(row.features.every(Number.isFinite)).toBe(true);
    }
    const lastDate = series.reduce(
      (latest, one) =>
        (one.dates.at(-1) as string) > latest ? (one.dates.at(-1) as string) : latest,
      '',
    );
    const last = panel.filter((row) => row.date === panel.at(-1)?.date);
    expect(last.every((row) => Number.isNaN(row.forward))).toBe(true);
    expect(lastDate >= (panel.at(-1)?.date as string)).toBe(true);
    expect(HORIZON).toBe(21);
  });
});

describe('walk-forward', () => {
  it('ranks with ties and correlates ranks', () => {
    expect(Array.from(ranks([10, 20, 20, 5]))).toEqual([2, 3.5, 3.5, 1]);
    expect(rankIc([1, 2, 3, 4], [10, 20, 30, 40])).toBeCloseTo(1, 12);
    expect(rankIc([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12);
    expect(rankIc([1, 2], [1, 2])).toBeNaN();
  });

  it('reports the model and 12-1 momentum on the same out-of-sample months', () => {
    const report = walkForward(buildPanel(series), {
      trainMonths: 36,
      refitEvery: 24,
      boosting: { trees: 30, depth: 3 },
    });
    expect(report.test_months).toBeGreaterThan(100);
    for (const side of [report.model, report.momentum]) {
      expect(Number.isFinite(side.mean_ic)).toBe(true);
      expect(Math.abs(side.mean_ic)).toBeLessThan(0.5);
      expect(Number.isFinite(side.top_decile_excess)).toBe(true);
    }
    expect(report.by_year.reduce((n, year) => n + year.months, 0)).toBe(report.test_months);
    expect(report.beats_momentum).toBe(
      report.model.mean_ic > report.momentum.mean_ic &&
        report.model.top_decile_excess > report.momentum.top_decile_excess,
    );
  });
});
